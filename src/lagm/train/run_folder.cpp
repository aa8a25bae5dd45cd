#include "lagm/train/run_folder.h"

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/io/folder_lock.h"
#include "lagm/io/run_directory.h"

namespace lagm::train {
namespace fs = std::filesystem;

RunFolder::RunFolder(const std::string& dir)
    : dir_(dir), lock_(std::make_unique<io::FolderLock>(dir)) {}

RunFolder::~RunFolder() = default;
RunFolder::RunFolder(RunFolder&&) noexcept = default;
RunFolder& RunFolder::operator=(RunFolder&&) noexcept = default;

RunFolder RunFolder::create_numbered(const std::string& parent, const std::string& name) {
  return RunFolder(io::create_run_directory(parent, name));
}

std::string RunFolder::file(const std::string& name) const {
  return (fs::path(dir_) / name).string();
}

std::string RunFolder::file_in(const std::string& subfolder, const std::string& name) const {
  core::create_folder_inside(dir_, subfolder);
  return (fs::path(dir_) / subfolder / name).string();
}

void RunFolder::write_config(const nlohmann::json& config) const {
  core::write_file_atomic(file("config.json"), config.dump(1) + "\n");
}

bool RunFolder::has_config() const { return fs::exists(file("config.json")); }

nlohmann::json RunFolder::read_config() const {
  const std::string path = file("config.json");
  if (!fs::exists(path)) throw InputError(dir_ + ": not a training run (no config.json)");
  auto json = nlohmann::json::parse(core::read_file(path), nullptr, false);
  if (json.is_discarded()) throw InputError(path + ": not valid JSON");
  return json;
}

void RunFolder::claim_data(const nlohmann::json& data, bool continuing) const {
  const std::string path = file("data.json");
  if (continuing && fs::exists(path)) {
    const auto recorded = nlohmann::json::parse(core::read_file(path), nullptr, false);
    if (!recorded.is_object()) throw InputError(path + ": not valid JSON");
    for (const auto& [name, now] : data.items()) {
      if (!recorded.contains(name)) continue;  // a set the saved run did not read
      const auto& then = recorded.at(name);
      if (then.value("fingerprint", "") != now.value("fingerprint", ""))
        throw InputError(dir_ + ": its " + name + " (" + now.value("source", "") +
                         ") is not the data the saved run was trained on (" +
                         std::to_string(then.value("images", 0)) + " images, fingerprint " +
                         then.value("fingerprint", "") + "; now " +
                         std::to_string(now.value("images", 0)) + ", " +
                         now.value("fingerprint", "") +
                         "); restore that data, or train into another --out");
    }
  }
  core::write_file_atomic(path, data.dump(1) + "\n");
}

void RunFolder::log(const std::string& line) const { io::append_line(file("log.txt"), line); }

void RunFolder::record(const std::string& name, const nlohmann::json& line) const {
  io::append_jsonl(file(name), line);
}

void RunFolder::forget_records_after(const std::string& key, double last_kept,
                                     std::initializer_list<const char*> files) const {
  for (const char* name : files) io::truncate_jsonl_after(file(name), key, last_kept);
}

}  // namespace lagm::train

#include "lagm/io/folder_settings.h"

#include <filesystem>
#include <set>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"

namespace lagm::io {

std::string settings_changes(const nlohmann::json& recorded, const nlohmann::json& given) {
  std::set<std::string> keys;
  for (const auto& [k, v] : recorded.items()) keys.insert(k);
  for (const auto& [k, v] : given.items()) keys.insert(k);
  std::string changes;
  for (const auto& k : keys) {
    const auto before = recorded.value(k, nlohmann::json()),
               after = given.value(k, nlohmann::json());
    if (before == after) continue;
    changes += (changes.empty() ? "" : ", ") + k + " " +
               (before.is_null() ? "none" : before.dump()) + " -> " +
               (after.is_null() ? "none" : after.dump());
  }
  return changes;
}

void claim_folder_settings(const std::string& dir, const std::string& name,
                           const nlohmann::json& settings) {
  namespace fs = std::filesystem;
  const fs::path path = fs::path(dir) / name;
  if (!fs::exists(path)) {
    fs::create_directories(dir);
    core::write_file_atomic(path.string(), settings.dump(1) + "\n");
    return;
  }
  const auto recorded = nlohmann::json::parse(core::read_file(path.string()), nullptr, false);
  if (!recorded.is_object())
    throw InputError(path.string() + ": not a settings record of lagm; is " + dir +
                     " another program's folder?");
  const auto changes = settings_changes(recorded, settings);
  if (!changes.empty())
    throw UsageError(dir + ": holds data made with other settings (" + changes +
                     "); a rerun completes a folder only with its own settings: write into "
                     "another folder");
}

}  // namespace lagm::io

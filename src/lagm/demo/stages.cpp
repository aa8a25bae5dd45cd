#include "lagm/demo/stages.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "lagm/core/atomic_file.h"

namespace lagm::demo {
namespace fs = std::filesystem;

void Stages::run(const std::string& name, const std::function<void()>& fn) {
  const std::string marker = (fs::path(out_) / "stages" / (name + ".done.json")).string();
  if (fs::exists(marker)) {
    const auto j = nlohmann::json::parse(core::read_file(marker), nullptr, false);
    seconds_[name] = j.is_object() ? j.value("seconds", 0.0) : 0.0;
    log("[" + name + "] already done");
    return;
  }
  log("[" + name + "]");
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  seconds_[name] = sec;
  core::create_folder_inside(out_, "stages");
  core::write_file_atomic(marker, nlohmann::json({{"seconds", sec}}).dump() + "\n");
  char line[128];
  std::snprintf(line, sizeof line, "[%s] done in %.1f s", name.c_str(), sec);
  log(line);
}

double Stages::total_seconds() const {
  double total = 0;
  for (const auto& [name, sec] : seconds_.items()) total += sec.get<double>();
  return total;
}

}  // namespace lagm::demo

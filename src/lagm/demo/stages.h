// The demo's stages: each runs once, leaving a marker with its wall time
// (OUT/stages/NAME.done.json), so that an interrupted demo continues where it stopped and its
// report still gives every stage's time.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/core/progress.h"

namespace lagm::demo {

class Stages {
 public:
  /// `out`: the demo's folder; `log` receives "[name]", "[name] done in S s", "already done".
  Stages(std::string out, ProgressFn log) : out_(std::move(out)), log_(std::move(log)) {}

  /// Runs `fn` unless the stage's marker exists; the marker is written once `fn` returns.
  void run(const std::string& name, const std::function<void()>& fn);
  /// A stage's wall time (this run's or its marker's); 0 for a stage not run.
  double seconds(const std::string& name) const { return seconds_.value(name, 0.0); }
  /// The sum over the stages run or found done.
  double total_seconds() const;

 private:
  void log(const std::string& line) const {
    if (log_) log_(line);
  }

  std::string out_;
  ProgressFn log_;
  nlohmann::json seconds_ = nlohmann::json::object();
};

}  // namespace lagm::demo

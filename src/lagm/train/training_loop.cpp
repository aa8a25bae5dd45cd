#include "lagm/train/training_loop.h"

#include <chrono>
#include <cmath>

#include "lagm/core/error.h"

namespace lagm::train {

void TickLosses::add(const std::string& key, double value, const std::string& what,
                     const std::string& detail) {
  require_finite_loss(value, what, detail.empty() ? where_ : where_ + ", " + detail);
  for (auto& [name, mean] : means_)
    if (name == key) return mean.add(value);
  means_.emplace_back(key, RunningMean());
  means_.back().second.add(value);
}

double TickLosses::mean(const std::string& key) const {
  for (const auto& [name, mean] : means_)
    if (name == key) return mean.value();
  return std::nan("");
}

bool crosses_multiple(int64_t before, int64_t after, int64_t every) {
  return every > 0 && after / every > before / every;
}

double run_training_loop(Trainable& trainer, const LoopSchedule& schedule) {
  using Clock = std::chrono::steady_clock;
  RateMeter meter(schedule.done, schedule.total);
  TickLosses losses;
  int64_t done = schedule.done, tick_from = done;
  auto tick_start = Clock::now();
  while (done < schedule.total) {
    losses.where_ = schedule.unit + " " + std::to_string(done);
    const int64_t before = done;
    done += trainer.run_unit(done, losses);
    meter.update(done);
    const bool last = done >= schedule.total;
    if (last || crosses_multiple(before, done, schedule.units_per_tick)) {
      const double seconds = std::chrono::duration<double>(Clock::now() - tick_start).count();
      const auto units = static_cast<double>(done - tick_from);
      trainer.tick({done, schedule.total, seconds / units, meter, losses});
      losses.means_.clear();
      tick_from = done;
    }
    if (last || crosses_multiple(before, done, schedule.units_per_save)) {
      const TickLosses none;
      trainer.save({done, schedule.total, 0.0, meter, none});
    }
    if (tick_from == done) tick_start = Clock::now();
  }
  return meter.elapsed_seconds();
}

}  // namespace lagm::train

// The one training loop every trainer runs (phase I's gradient matching, the supervised annotator,
// pseudo-labelling, downstream train-seg, the GAN): it counts the units of work, checks every loss
// for being finite, measures the rate and ETA, and calls the trainer's tick (its stats and progress
// line) and save (its snapshot) on one schedule. The trainer supplies what a unit does and what a
// tick and a save write; starting or resuming is the trainer's (it passes the units already done).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lagm/train/rate_meter.h"
#include "lagm/train/running_mean.h"

namespace lagm::train {

/// When a loop ticks and saves. A tick falls where the count of units crosses a multiple of
/// units_per_tick, a save where it crosses a multiple of units_per_save (0: never on the way), and
/// both fall at the end. Units are what the trainer counts: iterations, steps, epochs, images.
struct LoopSchedule {
  std::string unit = "iteration";  ///< names the unit in messages: "iteration 12"
  int64_t done = 0;                ///< units finished before this session (a resumed run)
  int64_t total = 0;               ///< units of the whole run
  int64_t units_per_tick = 1;
  int64_t units_per_save = 1;
};

class Trainable;

/// The losses the units of a tick reported, each checked for being finite as it is added, and
/// their means over the tick.
class TickLosses {
 public:
  /// Adds `value` under `key`; a value that is NaN or infinite throws Error naming `what` ("the
  /// labelled loss") and where it happened (the unit, then `detail` such as "step 7" if any).
  void add(const std::string& key, double value, const std::string& what,
           const std::string& detail = "");
  /// The mean of `key` over the tick; NaN when no unit of the tick reported it.
  double mean(const std::string& key) const;

 private:
  friend double run_training_loop(Trainable& trainer, const LoopSchedule& schedule);
  std::vector<std::pair<std::string, RunningMean>> means_;
  std::string where_;  ///< the unit being run, for messages ("iteration 12")
};

/// Where the loop stands when it calls the trainer.
struct LoopState {
  int64_t done = 0;             ///< units finished (this session and before)
  int64_t total = 0;            ///< units of the whole run
  double seconds_per_unit = 0;  ///< over the tick just ended (tick only)
  const RateMeter& meter;       ///< this session's rate and ETA
  const TickLosses& losses;     ///< the tick's losses (tick only; empty at a save)
};

/// What a trainer supplies to the loop.
class Trainable {
 public:
  virtual ~Trainable() = default;
  /// Runs the unit after `done` finished ones, adding its losses; returns how many units it
  /// finished (1, or the images of a GAN batch).
  virtual int64_t run_unit(int64_t done, TickLosses& losses) = 0;
  /// Records a tick: the trainer's stats line and progress line.
  virtual void tick(const LoopState& state) = 0;
  /// Saves the run's state after `state.done` units (its snapshot or checkpoint).
  virtual void save(const LoopState& state) = 0;
};

/// Runs `trainer` from schedule.done until schedule.total; returns the seconds this session took.
double run_training_loop(Trainable& trainer, const LoopSchedule& schedule);

/// Whether a count that went from `before` to `after` crossed a multiple of `every` (0: never).
bool crosses_multiple(int64_t before, int64_t after, int64_t every);

}  // namespace lagm::train

// Phase I's record of one tick in a run folder: the progress line (also appended to log.txt) and
// one line of stats.jsonl, with the mean losses of the tick's iterations.
#pragma once

#include <cstdint>
#include <string>

#include "lagm/core/progress.h"
#include "lagm/train/rate_meter.h"
#include "lagm/train/run_folder.h"
#include "lagm/train/running_mean.h"

namespace lagm::method {

/// The losses of one tick (a phase that did not run in it leaves its mean NaN, written as null).
struct TickStats {
  train::RunningMean label, synthetic_a, matching, synthetic_s;
  train::RunningMean pseudo_label;  ///< phase A's pseudo-label term (config.pseudo_label_weight)
};

/// Writes the tick ending at `iteration` of `total_iters` to the run's log.txt and stats.jsonl and
/// passes the line to `progress`.
void record_tick(const train::RunFolder& folder, int64_t iteration, int64_t total_iters,
                 const TickStats& stats, double sec_per_iter, const train::RateMeter& meter,
                 const ProgressFn& progress);

}  // namespace lagm::method

// Phase I's record of one tick in a run folder: the progress line (also appended to log.txt) and
// one line of stats.jsonl, with the mean losses of the tick's iterations.
#pragma once

#include <cstdint>
#include <string>

#include "lagm/core/progress.h"
#include "lagm/train/rate_meter.h"
#include "lagm/train/run_folder.h"
#include "lagm/train/training_loop.h"

namespace lagm::matching {

/// Writes the tick ending at `iteration` of `total_iters` to the run's log.txt and stats.jsonl and
/// passes the line to `progress`. The losses are the means of the keys the trainer adds: label,
/// synthetic_a, matching, pseudo_label (phase A), synthetic_s (phase S); a phase that did not run
/// in the tick leaves its mean NaN, written as null.
void record_tick(const train::RunFolder& folder, int64_t iteration, int64_t total_iters,
                 const train::TickLosses& losses, double sec_per_iter,
                 const train::RateMeter& meter, const ProgressFn& progress);

}  // namespace lagm::matching

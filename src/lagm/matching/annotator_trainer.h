// Phase I of LAGM as a resumable run (`lagm train-annotator`): Algorithm 1 with ticks, progress,
// snapshots, label grids and validation of S, in a run directory.
#pragma once

#include <torch/types.h>

#include <functional>
#include <string>

#include "lagm/core/progress.h"
#include "lagm/matching/annotator_train_config.h"

namespace lagm::train {
class ProcessGroup;
}

namespace lagm::matching {

/// Summary of a finished (or resumed and finished) run.
struct TrainResult {
  std::string run_dir;
  int64_t iterations = 0;
  double best_fg_miou = -1;  ///< -1 without a validation set
  int64_t best_iteration = -1;
  double seconds = 0;
};

/// Starts a new run in OUTDIR/NNNNN-<run_name> and trains to total_iters. With a `group`,
/// data-parallel: every process of the group calls it with the same config and takes its share of
/// every batch (GradientMatchingStep::set_process_group); rank 0 writes the run (its run_dir is
/// empty on the other ranks).
TrainResult train_annotator(const AnnotatorTrainConfig& config, const std::string& outdir,
                            torch::Device device, const ProgressFn& progress = {},
                            train::ProcessGroup* group = nullptr);

/// Continues the run in `run_dir` from its latest snapshot, bit for bit as if uninterrupted (same
/// device); `total_iters` > 0 extends or shortens the run.
/// Data-parallel with a `group` (every process reads the snapshot).
TrainResult resume_annotator_training(const std::string& run_dir, torch::Device device,
                                      const ProgressFn& progress = {}, int64_t total_iters = 0,
                                      train::ProcessGroup* group = nullptr);

}  // namespace lagm::matching

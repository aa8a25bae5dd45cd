// The reference's benchmark-mode selection (test_seg.py without --cv):
// given a run folder, test the checkpoint whose validation FG-mIoU was highest (the first one on
// ties), read from the run's metrics-val.jsonl.
#pragma once

#include <string>

namespace lagm::eval {

struct SelectedCheckpoint {
  std::string path;  ///< the snapshot or segmenter checkpoint
  double val_fg_miou = 0;
  int64_t step = -1;  ///< iteration (train-annotator) or epoch (train-seg)
};

/// Works for train-annotator runs ({"iteration", "results": {"fg_mIoU"}, "snapshot"}) and train-seg
/// folders ({"epoch", "fg_mIoU"} -> segmenter-NNN.safetensors). Throws InputError naming the file
/// when there is no validation record or the chosen checkpoint is missing.
SelectedCheckpoint best_validation_checkpoint(const std::string& run_dir);

}  // namespace lagm::eval

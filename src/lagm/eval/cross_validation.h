// `lagm eval --cv K`: DatasetGAN's K-fold cross-validated checkpoint selection, as the reference's
// test_seg.py --cv: the test images are split into K folds; for each
// fold, walk the checkpoints in file-name order, keep the one whose mIoU on the fold is strictly
// greater than the best so far, and report its mIoU on the other images; then mean and population
// standard deviation over the folds.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace lagm::eval {

/// The checkpoints of a run folder in the reference's order: segmenter-*.safetensors (train-seg) or
/// snapshots/*.safetensors (train-annotator), sorted by name, the last `keep` of them.
std::vector<std::string> cv_checkpoints(const std::string& run_dir, size_t keep = 20);

struct CrossValidationResult {
  std::vector<double> fold_miou;         ///< test mIoU of each fold's selected checkpoint
  std::vector<int64_t> fold_checkpoint;  ///< its index (-1 when no checkpoint beat 0)
  double mean = 0, std = 0;              ///< over the folds (population std)
};

/// counts[c][i]: confusion counts (int64 [C, C]) of checkpoint c on image i, in data-set order.
CrossValidationResult cross_validate(const std::vector<std::vector<torch::Tensor>>& counts,
                                     int64_t folds = 5);

}  // namespace lagm::eval

// Phase I's validation record in a run folder: one line of metrics-val.jsonl per validation, and
// best.json naming the snapshot with the best FG-mIoU so far (what synthesis picks by default).
#pragma once

#include <cstdint>
#include <string>

#include "lagm/eval/confusion_matrix.h"

namespace lagm::matching {

/// Appends the metrics of the validation at `iteration` (of the snapshot `snapshot_file`) to
/// RUN_DIR/metrics-val.jsonl. When its FG-mIoU beats `best_fg_miou` strictly (the first of equal
/// scores stays best, as in the reference), updates `best_fg_miou` and `best_iteration` and
/// rewrites RUN_DIR/best.json atomically.
void record_validation(const std::string& run_dir, int64_t iteration,
                       const eval::SegmentationMetrics& metrics, const std::string& snapshot_file,
                       double& best_fg_miou, int64_t& best_iteration);

}  // namespace lagm::matching

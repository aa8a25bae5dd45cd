#include "lagm/matching/validation_record.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "lagm/core/atomic_file.h"
#include "lagm/io/run_directory.h"

namespace lagm::matching {

void record_validation(const std::string& run_dir, int64_t iteration,
                       const eval::SegmentationMetrics& m, const std::string& snapshot_file,
                       double& best_fg_miou, int64_t& best_iteration) {
  namespace fs = std::filesystem;
  const std::string snapshot = fs::path(snapshot_file).lexically_relative(run_dir).string();
  io::append_jsonl(
      (fs::path(run_dir) / "metrics-val.jsonl").string(),
      {{"iteration", iteration},
       {"results", {{"pACC", m.pixel_accuracy}, {"mIoU", m.mean_iou}, {"fg_mIoU", m.fg_mean_iou}}},
       {"per_class_iou", m.iou},
       {"snapshot", snapshot}});
  if (!(m.fg_mean_iou > best_fg_miou)) return;
  best_fg_miou = m.fg_mean_iou;
  best_iteration = iteration;
  const nlohmann::json best = {{"iteration", iteration},
                               {"fg_mIoU", m.fg_mean_iou},
                               {"mIoU", m.mean_iou},
                               {"snapshot", snapshot}};
  core::write_file_atomic((fs::path(run_dir) / "best.json").string(), best.dump(1) + "\n");
}

}  // namespace lagm::matching

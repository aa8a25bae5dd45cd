#include "lagm/matching/annotator_trainer.h"

#include <optional>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/matching/annotator_run.h"
#include "lagm/train/distributed.h"
#include "lagm/train/run_folder.h"

namespace lagm::matching {

TrainResult train_annotator(const AnnotatorTrainConfig& config, const std::string& outdir,
                            torch::Device device, const ProgressFn& progress,
                            train::ProcessGroup* group) {
  if (group) check_data_parallel(config, group->world_size());
  const bool writer = !group || group->rank() == 0;
  std::optional<train::RunFolder> folder;
  if (writer) {
    folder.emplace(train::RunFolder::create_numbered(outdir, config.run_name));
    folder->write_config(to_json(config));
  }
  AnnotatorRun run(config, folder ? &*folder : nullptr, device, writer ? progress : ProgressFn(),
                   group);
  run.setup();
  run.claim_data(false);
  if (writer) run.write_reals_grid();
  return run.run();
}

TrainResult resume_annotator_training(const std::string& run_dir, torch::Device device,
                                      const ProgressFn& progress, int64_t total_iters,
                                      train::ProcessGroup* group) {
  auto config = read_annotator_run_config(run_dir);
  if (total_iters > 0) config.total_iters = total_iters;
  if (group) check_data_parallel(config, group->world_size());
  // Every process reads the run; rank 0 alone holds and writes its folder.
  const bool writer = !group || group->rank() == 0;
  std::optional<train::RunFolder> folder;
  if (writer) folder.emplace(run_dir);
  AnnotatorRun run(config, folder ? &*folder : nullptr, device, writer ? progress : ProgressFn(),
                   group);
  run.setup();
  const std::string latest = annotator::latest_snapshot(run_dir);
  run.claim_data(!latest.empty());
  if (latest.empty()) {
    if (writer) run.write_reals_grid();
  } else {
    const auto snapshot = annotator::read_snapshot(latest);
    run.restore(snapshot);
    // Ticks and validations after the snapshot are repeated now: drop their old lines.
    if (folder)
      folder->forget_records_after("iteration", static_cast<double>(snapshot.info.iteration),
                                   {"stats.jsonl", "metrics-val.jsonl"});
    if (progress && writer) progress("resumed from " + latest);
  }
  return run.run();
}

}  // namespace lagm::matching

// lagm eval: metrics of a segmentation network on a labelled folder data set: per-class IoU table,
// mIoU, FG-mIoU, pACC (the reference's conventions), the confusion matrix as JSON, and a picture
// of the first images (image | truth | prediction).
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "commands.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/dataset_spec.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/eval/checkpoint_selection.h"
#include "lagm/eval/cross_validation.h"
#include "lagm/eval/evaluate.h"
#include "lagm/io/grid.h"
#include "lagm/io/image.h"
#include "lagm/io/text.h"
#include "lagm/train/distributed.h"

namespace lagm::cli {
namespace {

struct EvalArgs {
  CommonArgs common;
  std::string model, data, json_out, grid_out;
  int64_t img_size = 0, batch = 1, grid_count = 8;
  bool skip_absent = false, skip_bad = false;
  int64_t cv = 0;
};

/// --cv K: cross-validated checkpoint selection over the checkpoints of the run folder --model.
void run_cross_validation(const EvalArgs& args, torch::Device device) {
  const auto checkpoints = eval::cv_checkpoints(args.model);
  auto spec = data::parse_dataset_argument(args.data);
  if (spec.is_string() && args.img_size > 0) spec = {{"path", spec}, {"img_size", args.img_size}};
  if (checkpoints.empty()) throw InputError(args.model + ": no checkpoints to cross-validate");
  // A test_seg.py folder (images + .npy labels) does not name its classes: the network does.
  const int64_t model_classes =
      annotator::load_segmenter(checkpoints.front()).segmenter->config().num_classes;
  const auto dataset = data::open_dataset(spec, args.data, args.skip_bad, model_classes);
  std::vector<std::vector<torch::Tensor>> counts;
  for (size_t c = 0; c < checkpoints.size(); ++c) {
    auto loaded = annotator::load_segmenter(checkpoints[c]);
    if (loaded.segmenter->config().num_classes != dataset->num_classes())
      throw InputError(checkpoints[c] + ": predicts " +
                       std::to_string(loaded.segmenter->config().num_classes) + " classes, but " +
                       args.data + " has " + std::to_string(dataset->num_classes()));
    loaded.segmenter->module().to(device);
    counts.push_back(eval::per_image_confusion(*loaded.segmenter, *dataset, device));
    std::fprintf(stderr, "\revaluated %zu/%zu checkpoints", c + 1, checkpoints.size());
  }
  std::fprintf(stderr, "\n");
  const auto r = eval::cross_validate(counts, args.cv);
  nlohmann::ordered_json folds = nlohmann::ordered_json::array();
  for (size_t f = 0; f < r.fold_miou.size(); ++f) {
    const auto chosen =
        r.fold_checkpoint[f] >= 0 ? checkpoints[static_cast<size_t>(r.fold_checkpoint[f])] : "";
    std::printf("fold %zu: mIoU %.2f  (%s)\n", f, 100 * r.fold_miou[f], chosen.c_str());
    folds.push_back({{"mIoU", r.fold_miou[f]}, {"checkpoint", chosen}});
  }
  std::printf("cross-validated mIoU %.2f +- %.2f over %lld folds, %zu checkpoints, %zu images\n",
              100 * r.mean, 100 * r.std, static_cast<long long>(args.cv), checkpoints.size(),
              dataset->size());
  std::vector<double> fold_percent;
  for (double m : r.fold_miou) fold_percent.push_back(100 * m);
  // The first three keys are the reference's cross_validation.json (percent), for its scripts.
  const nlohmann::ordered_json j = {{"Cross validation mean", 100 * r.mean},
                                    {"Cross validation std", 100 * r.std},
                                    {"Cross validation", fold_percent},
                                    {"run", args.model},
                                    {"data", args.data},
                                    {"folds", folds},
                                    {"mean", r.mean},
                                    {"std", r.std},
                                    {"checkpoints", checkpoints}};
  // The reference writes network_path/cross_validation.json.
  core::write_file_atomic((std::filesystem::path(args.model) / "cross_validation.json").string(),
                          j.dump(1) + "\n");
  if (!args.json_out.empty()) core::write_file_atomic(args.json_out, j.dump(1) + "\n");
}

// --json: the scores, per-class IoU and the confusion matrix (rows: predicted, columns: truth).
void write_metrics_json(const EvalArgs& args, const std::string& model,
                        const data::LabelledDataset& dataset, const eval::ConfusionMatrix& cm,
                        const eval::SegmentationMetrics& m) {
  const auto& names = dataset.class_names();
  nlohmann::json iou = nlohmann::json::object();
  for (size_t k = 0; k < m.iou.size(); ++k)
    iou[names[k]] = std::isnan(m.iou[k]) ? nlohmann::json() : nlohmann::json(m.iou[k]);
  const auto counts = cm.counts().contiguous();
  std::vector<std::vector<int64_t>> rows;
  for (int64_t r = 0; r < counts.size(0); ++r)
    rows.emplace_back(counts[r].data_ptr<int64_t>(),
                      counts[r].data_ptr<int64_t>() + counts.size(1));
  core::write_file_atomic(args.json_out, nlohmann::json({{"model", model},
                                                         {"data", args.data},
                                                         {"images", dataset.size()},
                                                         {"mIoU", m.mean_iou},
                                                         {"fg_mIoU", m.fg_mean_iou},
                                                         {"pACC", m.pixel_accuracy},
                                                         {"per_class_iou", iou},
                                                         {"confusion_pred_by_gt", rows}})
                                                 .dump(1) +
                                             "\n");
}

// --grid: the first --grid-count images, their truth and the prediction, titled, with a legend.
void write_prediction_grid(const EvalArgs& args, annotator::LoadedSegmenter& loaded,
                           const data::LabelledDataset& dataset, torch::Device device) {
  auto& seg = *loaded.segmenter;
  const auto& names = dataset.class_names();
  std::vector<size_t> idx;
  for (size_t i = 0; i < std::min<size_t>(dataset.size(), args.grid_count); ++i) idx.push_back(i);
  std::vector<torch::Tensor> cells;
  torch::NoGradGuard no_grad;
  for (size_t i : idx) {  // one at a time: images may differ in size
    auto s = dataset.get(i);
    auto pred = seg.forward(s.image.unsqueeze(0).to(device)).argmax(1).cpu();
    cells.push_back(torch::cat(
        {io::to_uint8_image(s.image), io::colorize_labels(s.label), io::colorize_labels(pred[0])},
        1));
  }
  const int64_t cell_width = cells.empty() ? 0 : cells.front().size(1) / 3;
  io::write_png(args.grid_out,
                io::titled_grid(torch::cat(cells, 0), {"image", "truth", "prediction"}, cell_width,
                                names, loaded.description.palette));
}

void run_eval(const EvalArgs& args) {
  const torch::Device device = apply_common(args.common);
  refuse_outputs_over_inputs({{"--json", args.json_out}, {"--grid", args.grid_out}},
                             {{"--model", args.model}, {"--data", args.data}});
  if (args.cv > 0) return run_cross_validation(args, device);
  // A run folder: the checkpoint with the best validation FG-mIoU, as the reference's benchmark
  // mode.
  const std::string model = resolve_model_path(args.model);
  auto loaded = annotator::load_segmenter(model);
  warn_defaulted_description(loaded.description, model);
  auto& seg = *loaded.segmenter;
  seg.module().to(device);
  auto spec = data::parse_dataset_argument(args.data);
  // --res resizes a folder given by path (a JSON spec carries its own size).
  if (spec.is_string() && args.img_size > 0) spec = {{"path", spec}, {"img_size", args.img_size}};
  auto dataset_ptr = data::open_dataset(spec, args.data, args.skip_bad, seg.config().num_classes);
  const auto& dataset = *dataset_ptr;
  if (dataset.skipped() > 0)
    std::fprintf(stderr, "warning: %s: skipped %zu bad samples\n", args.data.c_str(),
                 dataset.skipped());
  if (dataset.num_classes() != seg.config().num_classes)
    throw InputError(args.data + ": " + std::to_string(dataset.num_classes()) + " classes, but " +
                     model + " predicts " + std::to_string(seg.config().num_classes));
  // Data-parallel (lagm launch): each rank evaluates its share of the batches, the confusion
  // matrices are summed, and rank 0 reports.
  const auto env = train::distributed_env_from_environment();
  auto cm = eval::evaluate_segmenter(seg, dataset, device, args.batch, {env.rank, env.world_size});
  if (env.active()) {
    train::ProcessGroup group(env);
    std::vector<torch::Tensor> counts{cm.counts().clone()};
    group.all_reduce_sum(counts);
    cm = eval::ConfusionMatrix(seg.config().num_classes);
    cm.add_counts(counts[0]);
    if (env.rank != 0) return;
  }
  // Scores of nothing would print as 0 and pass for a result.
  if (cm.counts().sum().item<int64_t>() == 0)
    throw InputError(
        args.data +
        ": no labelled pixels to score (every label is 255, ignore, or the set is empty)");
  const auto m = cm.metrics(args.skip_absent ? eval::AbsentClassRule::kSkip
                                             : eval::AbsentClassRule::kCountAsZero);
  const auto& names = dataset.class_names();
  std::printf("%-20s %8s\n", "class", "IoU");
  for (size_t k = 0; k < m.iou.size(); ++k)
    std::printf("%-20s %8.4f\n", names[k].c_str(), m.iou[k]);
  std::printf("mIoU %.4f  FG-mIoU %.4f  pACC %.4f  (%zu images)\n", m.mean_iou, m.fg_mean_iou,
              m.pixel_accuracy, dataset.size());
  if (!args.json_out.empty()) write_metrics_json(args, model, dataset, cm, m);
  if (!args.grid_out.empty()) write_prediction_grid(args, loaded, dataset, device);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "evaluate a segmentation network on a labelled data set");
  cmd->add_option("--model", args->model,
                  "train-seg checkpoint or train-annotator snapshot (its S); a run folder = its "
                  "best validation "
                  "checkpoint (the reference's benchmark mode); with --cv, the run folder")
      ->required();
  cmd->add_option("--data", args->data,
                  "labelled data: a folder, or a data set JSON (inline or a .json file; the "
                  "project's form or the "
                  "reference's training_set_kwargs)")
      ->required();
  cmd->add_option("--cv", args->cv,
                  "K-fold cross-validated checkpoint selection (the reference's --cv, K = 5): "
                  "--model is then a run "
                  "folder of checkpoints");
  cmd->add_flag("--skip-bad", args->skip_bad,
                "skip samples without a label (with a warning and a count) instead of failing");
  cmd->add_option("--res,--img-size", args->img_size,
                  "resize to this square size (0 = as stored; --img-size: older name)")
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "images per forward (1 allows mixed sizes)")
      ->capture_default_str();
  cmd->add_option("--json", args->json_out, "write metrics and the confusion matrix here");
  cmd->add_option("--grid", args->grid_out,
                  "write image | truth | prediction rows for the first images here");
  cmd->add_option("--grid-count", args->grid_count, "images in the grid")->capture_default_str();
  cmd->add_flag("--skip-absent", args->skip_absent,
                "leave classes absent from truth and prediction out of the means (reference: they "
                "count as 0)");
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace lagm::cli

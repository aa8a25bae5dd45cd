#include "lagm/matching/annotator_train_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "lagm/core/atomic_file.h"
#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/models/segmenter.h"

namespace lagm::matching {
using core::check_keys;
using core::get_or;

annotator::TransformOptions transform_options_from_json(const nlohmann::json& j,
                                                        const std::string& where) {
  check_keys(j, {"wide_crop", "resize", "class_name"}, where);
  annotator::TransformOptions t;
  t.wide_crop = get_or<bool>(j, "wide_crop", false, where);
  if (j.contains("resize") && !j["resize"].is_null()) {
    const auto hw = get_or<std::vector<int64_t>>(j, "resize", {}, where);
    if (hw.size() != 2 || hw[0] < 1 || hw[1] < 1)
      throw InputError(where + ".resize must be [H, W]");
    t.resize =
        std::array<int64_t, 2>{hw[0], hw[1]};  // (H, W), as torch reads it (the reference's B7)
  }
  return t;
}

namespace {

// The phase-I networks: A's width and depth, S's configuration, their starting weights.
void read_networks(const nlohmann::json& j, const std::string& where, AnnotatorTrainConfig& c) {
  if (j.contains("annotator")) {
    const auto& a = j["annotator"];
    check_keys(a, {"arch", "tmp_channels", "num_layers"}, where + ".annotator");
    if (get_or<std::string>(a, "arch", "fpn", where + ".annotator") != "fpn")
      throw InputError(where + ".annotator.arch: only 'fpn' exists");
    c.annotator_tmp_channels = get_or<int64_t>(a, "tmp_channels", 128, where + ".annotator");
    c.annotator_num_layers = get_or<int64_t>(a, "num_layers", 3, where + ".annotator");
    if (c.annotator_tmp_channels < 1 || c.annotator_num_layers < 1)
      throw InputError(where + ".annotator: tmp_channels and num_layers must be >= 1");
  }
  if (j.contains("segmenter"))
    c.segmenter =
        models::segmenter_config_without_classes_from_json(j["segmenter"], where + ".segmenter");
  c.segmenter_backbone = get_or<std::string>(j, "segmenter_backbone", "", where);
  c.segmenter_init = get_or<std::string>(j, "segmenter_init", "", where);
  c.annotator_init = get_or<std::string>(j, "annotator_init", "", where);
}

}  // namespace

const char* learner_name(Learner learner) {
  return learner == Learner::kMaml ? "maml" : "gradient_matching";
}

namespace {

// Who learns A and how: the learner, precision, the matched parameters.
void read_learner(const nlohmann::json& j, const std::string& where, AnnotatorTrainConfig& c) {
  const auto learner = get_or<std::string>(j, "learner", learner_name(c.learner), where);
  if (learner != "gradient_matching" && learner != "maml")
    throw InputError(where + ".learner: expected gradient_matching or maml, got '" + learner + "'");
  c.learner = learner == "maml" ? Learner::kMaml : Learner::kGradientMatching;
  c.unrolled.inner_steps = get_or<int64_t>(j, "inner_steps", c.unrolled.inner_steps, where);
  c.unrolled.inner_lr = get_or<double>(j, "inner_lr", c.unrolled.inner_lr, where);
  if (c.unrolled.inner_steps < 1) throw InputError(where + ".inner_steps must be >= 1");
  if (!std::isfinite(c.unrolled.inner_lr) || c.unrolled.inner_lr <= 0)
    throw InputError(where + ".inner_lr must be a finite number > 0");
  c.precision = train::parse_precision(get_or<std::string>(j, "precision", "fp32", where), where);
  check_precision(c, where + ".precision");
  c.low_memory = get_or<bool>(j, "low_memory", c.low_memory, where);
  check_low_memory(c, where + ".low_memory");
  const auto gm_params = get_or<std::string>(j, "gm_params", ".*", where);
  try {
    c.gm_params = resolve_gm_params_regex(gm_params);
  } catch (const InputError& e) {
    throw InputError(where + ".gm_params: " + e.what());
  }
}

// How the gradients are compared (the "matcher" object).
void read_matcher(const nlohmann::json& m, const std::string& where, AnnotatorTrainConfig& c) {
  check_keys(m, {"metric", "reduction", "cosine_eps", "magnitude_weight"}, where + ".matcher");
  c.matcher.magnitude_weight = get_or<double>(m, "magnitude_weight", 0.0, where + ".matcher");
  if (!std::isfinite(c.matcher.magnitude_weight) || c.matcher.magnitude_weight < 0)
    throw InputError(where + ".matcher.magnitude_weight: must be a finite number >= 0");
  c.matcher.metric = parse_match_metric(get_or<std::string>(m, "metric", "cosine", where));
  c.matcher.reduction = parse_match_reduction(get_or<std::string>(m, "reduction", "mean", where));
  const auto eps = get_or<std::string>(m, "cosine_eps", "clamp_each_norm", where);
  if (eps != "clamp_each_norm" && eps != "clamp_product")
    throw InputError(
        where + ".matcher.cosine_eps: expected clamp_each_norm (PyTorch >= 1.12) or clamp_product");
  c.matcher.cosine_eps =
      eps == "clamp_product" ? CosineEps::kClampProduct : CosineEps::kClampEachNorm;
}

// Optimizers, batches and the levers on the losses.
void read_optimization(const nlohmann::json& j, const std::string& where, AnnotatorTrainConfig& c) {
  if (j.contains("transform"))
    c.transform = transform_options_from_json(j["transform"], where + ".transform");
  if (j.contains("annotator_optimizer"))
    c.annotator_optimizer =
        train::optimizer_config_from_json(j["annotator_optimizer"], where + ".annotator_optimizer");
  if (j.contains("segmenter_optimizer"))
    c.segmenter_optimizer =
        train::optimizer_config_from_json(j["segmenter_optimizer"], where + ".segmenter_optimizer");
  c.batch = get_or<int64_t>(j, "batch", c.batch, where);
  c.label_batch = get_or<int64_t>(j, "label_batch", c.label_batch, where);
  if (c.label_batch < 0) throw InputError(where + ".label_batch must be >= 0 (0 = batch)");
  c.label_augment = get_or<bool>(j, "label_augment", c.label_augment, where);
  c.label_loss_weight = get_or<double>(j, "label_loss_weight", c.label_loss_weight, where);
  if (!std::isfinite(c.label_loss_weight) || c.label_loss_weight < 0)
    throw InputError(where + ".label_loss_weight must be a finite number >= 0");
  c.class_balance_power = get_or<double>(j, "class_balance_power", c.class_balance_power, where);
  if (!std::isfinite(c.class_balance_power) || c.class_balance_power < 0 ||
      c.class_balance_power > 1)
    throw InputError(where + ".class_balance_power must be in [0, 1]");
  c.segmenter_reset_interval =
      get_or<int64_t>(j, "segmenter_reset_interval", c.segmenter_reset_interval, where);
  if (c.segmenter_reset_interval < 0)
    throw InputError(where + ".segmenter_reset_interval must be >= 0 (0 = never)");
  if (c.segmenter_reset_interval > 0 && !c.segmenter_init.empty())
    throw InputError(where +
                     ": segmenter_reset_interval restarts S from random weights; it cannot be "
                     "combined with segmenter_init");
  c.annotator_ema = get_or<double>(j, "annotator_ema", c.annotator_ema, where);
  if (c.annotator_ema < 0 || c.annotator_ema >= 1)
    throw InputError(where + ".annotator_ema must be in [0, 1) (0 = off)");
  c.pseudo_labeller = get_or<std::string>(j, "pseudo_labeller", c.pseudo_labeller, where);
  c.pseudo_label_weight = get_or<double>(j, "pseudo_label_weight", c.pseudo_label_weight, where);
  c.sync_batch_norm = get_or<bool>(j, "sync_batch_norm", c.sync_batch_norm, where);
  if (!std::isfinite(c.pseudo_label_weight) || c.pseudo_label_weight < 0)
    throw InputError(where + ".pseudo_label_weight must be a finite number >= 0");
  if (c.pseudo_label_weight > 0 && c.pseudo_labeller.empty())
    throw InputError(where +
                     ".pseudo_label_weight > 0 needs pseudo_labeller (a segmenter checkpoint)");
}

// How long, on what data, with which pictures and snapshots.
void read_schedule(const nlohmann::json& j, const std::string& where, AnnotatorTrainConfig& c) {
  c.total_iters = get_or<int64_t>(j, "total_iters", c.total_iters, where);
  c.annotator_interval = get_or<int64_t>(j, "annotator_interval", c.annotator_interval, where);
  c.segmenter_interval = get_or<int64_t>(j, "segmenter_interval", c.segmenter_interval, where);
  c.seed = get_or<uint64_t>(j, "seed", c.seed, where);
  if (!j.contains("training_set"))
    throw InputError(where + ".training_set: required (the labelled images)");
  c.training_set = data::dataset_spec_from_json(j["training_set"], where + ".training_set");
  if (j.contains("validation_set"))
    c.validation_set = data::dataset_spec_from_json(j["validation_set"], where + ".validation_set");
  c.niter_per_tick = get_or<int64_t>(j, "niter_per_tick", c.niter_per_tick, where);
  c.snapshot_ticks = get_or<int64_t>(j, "snapshot_ticks", c.snapshot_ticks, where);
  c.grid_size = get_or<int64_t>(j, "grid_size", c.grid_size, where);
  c.run_name = get_or<std::string>(j, "run_name", c.run_name, where);
}

}  // namespace

void check_config_counts(const AnnotatorTrainConfig& c, const std::string& where,
                         const CountKeys& keys) {
  const std::string at = where + ".";
  core::require_in_range(c.batch, 1, 4096, at + keys.batch);
  core::require_in_range(c.label_batch, 0, 4096, at + "label_batch");
  core::require_in_range(c.total_iters, 1, 1000000000, at + keys.total_iters);
  core::require_in_range(c.annotator_interval, 1, 1000000, at + keys.annotator_interval);
  core::require_in_range(c.segmenter_interval, 1, 1000000, at + keys.segmenter_interval);
  core::require_in_range(c.niter_per_tick, 1, 1000000000, at + keys.niter_per_tick);
  core::require_in_range(c.snapshot_ticks, 1, 1000000000, at + keys.snapshot_ticks);
  core::require_in_range(c.grid_size, 1, 256, at + "grid_size");
  core::require_in_range(c.annotator_tmp_channels, 1, 4096, at + keys.tmp_channels);
  core::require_in_range(c.annotator_num_layers, 1, 64, at + keys.num_layers);
}

AnnotatorTrainConfig annotator_train_config_from_json(const nlohmann::json& j,
                                                      const std::string& where) {
  static const std::set<std::string> kKeys = {"generator",
                                              "truncation_psi",
                                              "truncation_cutoff",
                                              "noise_mode",
                                              "annotator",
                                              "segmenter",
                                              "segmenter_backbone",
                                              "segmenter_init",
                                              "annotator_init",
                                              "learner",
                                              "inner_steps",
                                              "inner_lr",
                                              "precision",
                                              "low_memory",
                                              "gm_params",
                                              "matcher",
                                              "annotator_optimizer",
                                              "segmenter_optimizer",
                                              "batch",
                                              "label_batch",
                                              "label_augment",
                                              "label_loss_weight",
                                              "class_balance_power",
                                              "segmenter_reset_interval",
                                              "annotator_ema",
                                              "pseudo_labeller",
                                              "pseudo_label_weight",
                                              "sync_batch_norm",
                                              "total_iters",
                                              "annotator_interval",
                                              "segmenter_interval",
                                              "seed",
                                              "training_set",
                                              "validation_set",
                                              "niter_per_tick",
                                              "snapshot_ticks",
                                              "grid_size",
                                              "run_name",
                                              "transform"};
  check_keys(j, kKeys, where);
  AnnotatorTrainConfig c;
  c.generator = get_or<std::string>(j, "generator", "", where);
  if (c.generator.empty())
    throw InputError(where + ".generator: required (a generator .safetensors)");
  c.sampling = models::sampling_options_from_json(j, where);
  read_networks(j, where, c);
  read_learner(j, where, c);
  if (j.contains("matcher")) read_matcher(j["matcher"], where, c);
  read_optimization(j, where, c);
  read_schedule(j, where, c);
  check_config_counts(c, where);
  return c;
}

nlohmann::json to_json(const AnnotatorTrainConfig& c) {
  nlohmann::json j = {
      {"generator", c.generator},
      {"annotator",
       {{"arch", "fpn"},
        {"tmp_channels", c.annotator_tmp_channels},
        {"num_layers", c.annotator_num_layers}}},
      {"segmenter", models::to_json(c.segmenter)},
      {"segmenter_backbone", c.segmenter_backbone},
      {"segmenter_init", c.segmenter_init},
      {"annotator_init", c.annotator_init},
      {"learner", learner_name(c.learner)},
      {"inner_steps", c.unrolled.inner_steps},
      {"inner_lr", c.unrolled.inner_lr},
      {"precision", train::precision_name(c.precision)},
      {"low_memory", c.low_memory},
      {"gm_params", c.gm_params},
      {"matcher",
       {{"metric", to_string(c.matcher.metric)},
        {"reduction", to_string(c.matcher.reduction)},
        {"cosine_eps",
         c.matcher.cosine_eps == CosineEps::kClampProduct ? "clamp_product" : "clamp_each_norm"},
        {"magnitude_weight", c.matcher.magnitude_weight}}},
      {"transform",
       {{"wide_crop", c.transform.wide_crop},
        {"resize", c.transform.resize ? nlohmann::json(*c.transform.resize) : nlohmann::json()}}},
      {"annotator_optimizer", to_json(c.annotator_optimizer)},
      {"segmenter_optimizer", to_json(c.segmenter_optimizer)},
      {"batch", c.batch},
      {"label_batch", c.label_batch},
      {"label_augment", c.label_augment},
      {"label_loss_weight", c.label_loss_weight},
      {"class_balance_power", c.class_balance_power},
      {"segmenter_reset_interval", c.segmenter_reset_interval},
      {"annotator_ema", c.annotator_ema},
      {"pseudo_labeller", c.pseudo_labeller},
      {"pseudo_label_weight", c.pseudo_label_weight},
      {"sync_batch_norm", c.sync_batch_norm},
      {"total_iters", c.total_iters},
      {"annotator_interval", c.annotator_interval},
      {"segmenter_interval", c.segmenter_interval},
      {"seed", c.seed},
      {"training_set", data::to_json(c.training_set)},
      {"validation_set", data::to_json(c.validation_set)},
      {"niter_per_tick", c.niter_per_tick},
      {"snapshot_ticks", c.snapshot_ticks},
      {"grid_size", c.grid_size},
      {"run_name", c.run_name}};
  j.update(models::to_json(c.sampling));
  return j;
}

AnnotatorTrainConfig read_annotator_run_config(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "config.json").string();
  if (!std::filesystem::exists(path))
    throw InputError(run_dir + ": not a train-annotator run (no config.json)");
  const auto json = nlohmann::json::parse(core::read_file(path), nullptr, false);
  if (json.is_discarded()) throw InputError(path + ": not valid JSON");
  return annotator_train_config_from_json(json, path);
}

void check_precision(const AnnotatorTrainConfig& c, const std::string& where) {
  if (c.precision == train::Precision::kBf16 && c.learner != Learner::kGradientMatching)
    throw InputError(where + ": bf16 runs the gradient_matching learner only, not " +
                     learner_name(c.learner));
}

void check_low_memory(const AnnotatorTrainConfig& c, const std::string& where) {
  if (c.low_memory && c.learner != Learner::kGradientMatching)
    throw InputError(where + ": the low-memory phase A is gradient matching's, not " +
                     learner_name(c.learner) + "'s");
}

void check_data_parallel(const AnnotatorTrainConfig& c, int world_size) {
  if (c.low_memory && world_size > 1)
    throw UsageError("train-annotator: low_memory runs in one process (" +
                     std::to_string(world_size) + " were launched)");
  if (c.precision == train::Precision::kBf16 && world_size > 1)
    throw UsageError("train-annotator: precision bf16 runs in one process (" +
                     std::to_string(world_size) + " were launched)");
  if (c.learner == Learner::kMaml && world_size > 1)
    throw UsageError("train-annotator: the maml learner runs in one process (" +
                     std::to_string(world_size) + " were launched)");
  const int64_t label_batch = c.label_batch > 0 ? c.label_batch : c.batch;
  if (std::min(c.batch, label_batch) < world_size)
    throw UsageError("train-annotator: batches of " + std::to_string(c.batch) + " generated and " +
                     std::to_string(label_batch) + " labelled images cannot be shared out among " +
                     std::to_string(world_size) + " processes");
}

}  // namespace lagm::matching

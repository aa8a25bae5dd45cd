// The demo's settings: its defaults, the budget of --quick and the levers a run overrides, and
// their record in the report (demo.h declares them).
#include <cmath>
#include <nlohmann/json.hpp>

#include "lagm/core/error.h"
#include "lagm/demo/demo.h"

namespace lagm::demo {

nlohmann::json DemoSettings::to_json() const {
  return {{"resolution", resolution},
          {"validation", validation},
          {"test", test},
          {"oracle", oracle},
          {"synthesized", synthesized},
          {"gm_steps", gm_steps},
          {"gm_params", gm_params},
          {"gm_optimizer", {{"kind", "adam"}, {"lr", gm_lr}, {"segmenter_lr", gm_segmenter_lr}}},
          {"init_from_pseudo_label", init_from_pseudo_label},
          {"gm_pseudo_label_weight", gm_pseudo_label_weight},
          {"annotator_ema", annotator_ema},
          {"calibrate_priors", calibrate_priors},
          {"magnitude_weight", magnitude_weight},
          {"all_labels", all_labels},
          {"label_augment", label_augment},
          {"label_loss_weight", label_loss_weight},
          {"class_balance_power", class_balance_power},
          {"quality_images", quality_images},
          {"pseudo_label_steps", pseudo_label_steps},
          {"projector_steps", projector_steps},
          {"maml_inner_lr", maml_inner_lr},
          {"ensemble_members", ensemble_members},
          {"annotator", {{"arch", "fpn"}, {"tmp_channels", annotator_channels}}},
          {"segmenter", {{"arch", "unet"}, {"base_channels", segmenter_channels}}},
          {"gm_segmenter", {{"arch", "unet"}, {"base_channels", gm_segmenter_channels}}},
          {"synthesis_psi", synthesis_psi},
          {"epochs", epochs},
          {"batch", batch},
          {"downstream_class_balance", downstream_class_balance},
          {"finetune_lr", finetune_lr},
          {"mix_labels", mix_labels},
          {"synthetic_only_rows", synthetic_only_rows}};
}

DemoSettings demo_settings(bool quick, const GradientMatchingLevers& levers) {
  DemoSettings s;
  if (quick) {
    s.quality_images = 50;
    s.validation = 50;
    s.test = 100;
    s.oracle = 300;
    s.synthesized = 300;
    s.gm_steps = 40;
    s.pseudo_label_steps = 40;
    s.projector_steps = 20;
    s.ensemble_members = 3;
    s.epochs = 2;
  }
  if (levers.calibrate_priors) s.calibrate_priors = *levers.calibrate_priors;
  if (levers.magnitude_weight) s.magnitude_weight = *levers.magnitude_weight;
  if (levers.all_labels) s.all_labels = *levers.all_labels;
  if (levers.label_augment) s.label_augment = *levers.label_augment;
  if (levers.label_loss_weight) s.label_loss_weight = *levers.label_loss_weight;
  if (levers.class_balance_power) s.class_balance_power = *levers.class_balance_power;
  if (levers.steps) s.gm_steps = *levers.steps;
  if (levers.downstream_class_balance)
    s.downstream_class_balance = *levers.downstream_class_balance;
  if (levers.segmenter_lr) s.gm_segmenter_lr = *levers.segmenter_lr;
  if (levers.annotator_lr) s.gm_lr = *levers.annotator_lr;
  if (levers.pseudo_label_weight) s.gm_pseudo_label_weight = *levers.pseudo_label_weight;
  if (levers.init_from_pseudo_label) s.init_from_pseudo_label = *levers.init_from_pseudo_label;
  if (levers.annotator_ema) s.annotator_ema = *levers.annotator_ema;
  if (levers.gm_segmenter_channels) s.gm_segmenter_channels = *levers.gm_segmenter_channels;
  if (levers.synthesis_psi) s.synthesis_psi = *levers.synthesis_psi;
  if (levers.synthesized) s.synthesized = *levers.synthesized;
  if (levers.finetune_lr) s.finetune_lr = *levers.finetune_lr;
  if (levers.mix_labels) s.mix_labels = *levers.mix_labels;
  if (levers.synthetic_only_rows) s.synthetic_only_rows = *levers.synthetic_only_rows;
  return s;
}

void check_demo_options(const DemoOptions& options) {
  if (options.labels < 1 || options.labels > 1000)
    throw UsageError("--labels must be in [1, 1000]");
  if (options.seed >= 1000)
    throw UsageError("--seed must be < 1000 (it selects the labelled images)");
  if (options.levers.magnitude_weight &&
      !(*options.levers.magnitude_weight >= 0 && std::isfinite(*options.levers.magnitude_weight)))
    throw UsageError("--magnitude-weight must be a finite number >= 0");
  if (options.levers.annotator_ema &&
      !(*options.levers.annotator_ema >= 0 && *options.levers.annotator_ema < 1))
    throw UsageError("--annotator-ema must be in [0, 1) (0 = off)");
  if (options.levers.steps && *options.levers.steps < 1)
    throw UsageError("--gm-steps must be >= 1");
  if (options.levers.gm_segmenter_channels && *options.levers.gm_segmenter_channels < 1)
    throw UsageError("--gm-segmenter-width must be >= 1");
  if (options.levers.synthesized && *options.levers.synthesized < 1)
    throw UsageError("--synthesized must be >= 1");
  if (options.levers.finetune_lr &&
      !(std::isfinite(*options.levers.finetune_lr) && *options.levers.finetune_lr >= 0))
    throw UsageError("--finetune-lr must be a finite number >= 0 (0 = off)");
  const int64_t batch = demo_settings(options.quick).batch;
  if (options.levers.mix_labels &&
      !(*options.levers.mix_labels >= 0 && *options.levers.mix_labels < batch))
    throw UsageError("--mix-labels must be in [0, " + std::to_string(batch) +
                     ") (samples of each batch of the downstream training; 0 = off)");
  if (options.levers.synthesis_psi &&
      !(std::isfinite(*options.levers.synthesis_psi) && *options.levers.synthesis_psi >= 0 &&
        *options.levers.synthesis_psi <= 2))
    throw UsageError("--synthesis-psi must be a finite number in [0, 2]");
  if (options.levers.segmenter_lr &&
      !(*options.levers.segmenter_lr > 0 && std::isfinite(*options.levers.segmenter_lr)))
    throw UsageError("--gm-segmenter-lr must be a finite number > 0");
  if (options.levers.annotator_lr &&
      !(*options.levers.annotator_lr > 0 && std::isfinite(*options.levers.annotator_lr)))
    throw UsageError("--gm-annotator-lr must be a finite number > 0");
  if (options.levers.pseudo_label_weight && !(std::isfinite(*options.levers.pseudo_label_weight) &&
                                              *options.levers.pseudo_label_weight >= 0))
    throw UsageError("--gm-pseudo-label-weight must be a finite number >= 0 (0 = off)");
  if (options.levers.label_loss_weight &&
      !(std::isfinite(*options.levers.label_loss_weight) && *options.levers.label_loss_weight >= 0))
    throw UsageError("--label-loss-weight must be a finite number >= 0");
  if (options.levers.class_balance_power &&
      !(*options.levers.class_balance_power >= 0 && *options.levers.class_balance_power <= 1))
    throw UsageError("--class-balance must be in [0, 1]");
  if (options.levers.downstream_class_balance && !(*options.levers.downstream_class_balance >= 0 &&
                                                   *options.levers.downstream_class_balance <= 1))
    throw UsageError("--downstream-class-balance must be in [0, 1]");
}

}  // namespace lagm::demo

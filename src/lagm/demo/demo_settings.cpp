// The demo's settings: its defaults, the budget of --quick and the levers a run overrides, and
// their record in the report (demo.h declares them).
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

DemoSettings demo_settings(bool quick, const LeverOverrides& levers) {
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
  apply_levers(s, levers);
  return s;
}

void check_demo_options(const DemoOptions& options) {
  if (options.labels < 1 || options.labels > 1000)
    throw SettingError("labels", "must be in [1, 1000]");
  if (options.seed >= 1000)
    throw SettingError("seed", "must be < 1000 (it selects the labelled images)");
  demo_settings(options.quick, options.levers);  // each lever in its range
}

}  // namespace lagm::demo

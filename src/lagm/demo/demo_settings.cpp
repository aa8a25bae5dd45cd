// The demo's settings: its defaults, the budget of --quick and the levers a run overrides, and
// their record in the report (demo.h declares them).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

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

const char* labelled_source_name(LabelledSource source) {
  return source == LabelledSource::kGenerated ? "generated" : "rendered";
}

LabelledSource parse_labelled_source(const std::string& name) {
  for (auto source : {LabelledSource::kRendered, LabelledSource::kGenerated})
    if (name == labelled_source_name(source)) return source;
  throw SettingError("labelled_source", "must be rendered or generated, got '" + name + "'");
}

std::vector<std::string> parse_arm_list(const std::string& text) {
  if (text == "default") return {};
  std::set<std::string> names;
  for (size_t begin = 0; begin <= text.size();) {
    const size_t comma = std::min(text.find(',', begin), text.size());
    names.insert(text.substr(begin, comma - begin));
    begin = comma + 1;
  }
  std::vector<std::string> arms;
  for (const char* arm : kComparisonArms)
    if (text == "all" || names.erase(arm)) arms.emplace_back(arm);
  if (text != "all" && !names.empty()) {
    std::string known;
    for (const char* arm : kComparisonArms) known += std::string(known.empty() ? "" : ", ") + arm;
    throw SettingError("arms", "unknown arm '" + *names.begin() +
                                   "' (expected default, all, or of " + known +
                                   " separated by commas)");
  }
  return arms;
}

bool is_route_arm(const std::string& arm) {
  return arm != "mean_teacher" && arm != "adversarial_ssl";
}

bool runs_arm(const DemoOptions& options, const std::string& arm) {
  const auto& arms = options.comparison_arms;
  return std::find(arms.begin(), arms.end(), arm) != arms.end();
}

std::string describe_labelled_set(const DemoOptions& options) {
  const std::string n = std::to_string(options.labels);
  if (options.labelled_source == LabelledSource::kGenerated)
    return n + " generated images labelled by the oracle (Table 1 protocol)";
  return n + " labelled " + toy::to_string(options.labelled_style) + " images";
}

void check_demo_options(const DemoOptions& options) {
  if (options.labels < 1 || options.labels > 1000)
    throw SettingError("labels", "must be in [1, 1000]");
  if (options.labelled_source == LabelledSource::kGenerated &&
      options.labelled_style != toy::Style::kPhoto)
    throw SettingError("labelled_source",
                       "generated takes no {labelled_style}: the generator's images are the "
                       "labelled ones");
  if (options.seed >= 1000)
    throw SettingError("seed", "must be < 1000 (it selects the labelled images)");
  const auto settings = demo_settings(options.quick, options.levers);  // each lever in its range
  if (runs_arm(options, "matching_alone") && settings.gm_pseudo_label_weight == 0)
    throw SettingError("arms",
                       "matching_alone would repeat gradient_matching: its pseudo-label weight is "
                       "already 0");
}

}  // namespace lagm::demo

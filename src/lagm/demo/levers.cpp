#include "lagm/demo/levers.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "lagm/core/error.h"
#include "lagm/demo/demo.h"

namespace lagm::demo {
namespace {

constexpr double kNoLimit = std::numeric_limits<double>::infinity();

// A number (double) or a count (int64_t) in [min, max].
template <typename T>
Lever ranged(std::string option, T DemoSettings::*setting, double min, double max,
             std::string help) {
  Lever l;
  l.option = std::move(option), l.help = std::move(help), l.setting = setting;
  l.min = min, l.max = max;
  return l;
}

Lever yes_no(std::string option, bool DemoSettings::*setting, std::string no, std::string yes,
             std::string help) {
  Lever l;
  l.option = std::move(option), l.help = std::move(help), l.setting = setting;
  l.words = {std::move(no), std::move(yes)};
  return l;
}

Lever flag(std::string option, bool DemoSettings::*setting, std::string help) {
  Lever l;
  l.option = std::move(option), l.help = std::move(help), l.setting = setting;
  return l;
}

Lever positive(Lever l) {
  l.min_exclusive = true;
  return l;
}

Lever below_max(Lever l) {
  l.max_exclusive = true;
  return l;
}

std::vector<Lever> make_levers() {
  std::vector<Lever> v;
  // Phase I: gradient matching.
  v.push_back(ranged("--gm-steps", &DemoSettings::gm_steps, 1, 1e7,
                     "matching steps of phase I (--quick: 40)"));
  v.push_back(positive(ranged("--gm-annotator-lr", &DemoSettings::gm_lr, 0, kNoLimit,
                              "Adam learning rate of A in phase I (e.g. 1e-4 with --gm-init "
                              "pseudo_label, so that matching refines that annotator)")));
  v.push_back(positive(ranged("--gm-segmenter-lr", &DemoSettings::gm_segmenter_lr, 0, kNoLimit,
                              "Adam learning rate of S in phase I")));
  v.push_back(ranged("--gm-segmenter-width", &DemoSettings::gm_segmenter_channels, 1, 1024,
                     "U-Net base width of S in phase I"));
  v.push_back(yes_no("--gm-init", &DemoSettings::init_from_pseudo_label, "random", "pseudo_label",
                     "A starts from random weights (the paper) or from the pseudo-labelling "
                     "annotator"));
  v.push_back(ranged("--gm-pseudo-label-weight", &DemoSettings::gm_pseudo_label_weight, 0, kNoLimit,
                     "phase A also pulls A's labels towards the few-label U-Net's labels of the "
                     "same generated images, with this weight against the matching loss (0 = "
                     "matching alone)"));
  Lever balance = ranged("--gm-class-balance", &DemoSettings::class_balance_power, 0, 1,
                         "power p of the class-balanced matching losses, weights ~ "
                         "frequency^-p (0 = off)");
  balance.old_option = "--class-balance";
  v.push_back(balance);
  v.push_back(ranged("--magnitude-weight", &DemoSettings::magnitude_weight, 0, kNoLimit,
                     "weight of the matcher's gradient-magnitude term"));
  v.push_back(yes_no("--label-batch", &DemoSettings::all_labels, "batch", "all",
                     "target gradient from a batch of 2 labels or from all N"));
  v.push_back(ranged("--label-loss-weight", &DemoSettings::label_loss_weight, 0, kNoLimit,
                     "phase S also trains S on the labelled batch with this weight (0: S learns "
                     "from the annotator's labels only, the reference)"));
  v.push_back(yes_no("--label-augment", &DemoSettings::label_augment, "off", "on",
                     "flips, scale/crop and colour jitter of phase I's labelled batches"));
  v.push_back(below_max(ranged("--annotator-ema", &DemoSettings::annotator_ema, 0, 1,
                               "decay of a moving average of A's weights, used for synthesis "
                               "(0 = off; e.g. 0.998)")));
  // Synthesis.
  v.push_back(yes_no("--calibrate-priors", &DemoSettings::calibrate_priors, "off", "on",
                     "class-prior calibration of the gradient-matching annotator at synthesis"));
  v.push_back(ranged("--synthesized", &DemoSettings::synthesized, 1, 1e7,
                     "images synthesized per route arm (--quick: 300)"));
  v.push_back(ranged("--synthesis-psi", &DemoSettings::synthesis_psi, 0, 2,
                     "truncation psi of every route arm's synthesized images (phase I samples at "
                     "the generator's default either way)"));
  // Downstream training of every arm.
  v.push_back(ranged("--downstream-class-balance", &DemoSettings::downstream_class_balance, 0, 1,
                     "power p of every downstream U-Net's class-balanced loss, the same for all "
                     "arms (0 = plain)"));
  v.push_back(below_max(ranged("--mix-labels", &DemoSettings::mix_labels, 0,
                               static_cast<double>(DemoSettings{}.batch),
                               "K of every 16 samples of the route arms' downstream training "
                               "drawn from the N labels (0 = the synthesized set alone, the "
                               "paper's protocol)")));
  v.push_back(ranged("--finetune-lr", &DemoSettings::finetune_lr, 0, kNoLimit,
                     "also fine-tune each route arm's U-Net on the N labels at this Adam "
                     "learning rate (rows <arm>_finetuned; 0 = off)"));
  v.push_back(flag("--synthetic-only-rows", &DemoSettings::synthetic_only_rows,
                   "also train each route arm's U-Net on its synthesized set alone (rows "
                   "<arm>_synthetic_only)"));
  return v;
}

const Lever& find_lever(const std::string& option) {
  for (const auto& l : levers())
    if (l.option == option || (!l.old_option.empty() && l.old_option == option)) return l;
  throw UsageError(option + ": not a lever of lagm demo");
}

double parse_number(const Lever& l, const std::string& text) {
  size_t used = 0;
  double v = std::nan("");
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(v))
    throw UsageError(l.option + " '" + text + "': expected a finite number");
  const bool low = l.min_exclusive ? v <= l.min : v < l.min;
  const bool high = l.max_exclusive ? v >= l.max : v > l.max;
  if (low || high) throw UsageError(l.option + " " + text + ": must be " + lever_domain(l));
  return v;
}

}  // namespace

const std::vector<Lever>& levers() {
  static const std::vector<Lever> table = make_levers();
  return table;
}

std::string lever_domain(const Lever& l) {
  if (std::holds_alternative<bool DemoSettings::*>(l.setting))
    return l.words[0].empty() ? "a flag" : l.words[1] + "|" + l.words[0];
  auto bound = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  if (std::isinf(l.max)) return (l.min_exclusive ? "> " : ">= ") + bound(l.min);
  return "in " + std::string(l.min_exclusive ? "(" : "[") + bound(l.min) + ", " + bound(l.max) +
         (l.max_exclusive ? ")" : "]");
}

std::string lever_value(const Lever& l, const DemoSettings& s) {
  if (const auto* b = std::get_if<bool DemoSettings::*>(&l.setting)) {
    const bool v = s.*(*b);
    return l.words[0].empty() ? (v ? "on" : "off") : l.words[v ? 1 : 0];
  }
  if (const auto* i = std::get_if<int64_t DemoSettings::*>(&l.setting))
    return std::to_string(s.*(*i));
  char b[32];
  std::snprintf(b, sizeof b, "%g", s.*std::get<double DemoSettings::*>(l.setting));
  return b;
}

void apply_levers(DemoSettings& s, const LeverOverrides& overrides) {
  for (const auto& [option, text] : overrides) {
    const Lever& l = find_lever(option);
    if (const auto* b = std::get_if<bool DemoSettings::*>(&l.setting)) {
      if (l.words[0].empty()) {
        s.*(*b) = true;  // a flag
      } else if (text == l.words[0] || text == l.words[1]) {
        s.*(*b) = text == l.words[1];
      } else {
        throw UsageError(l.option + " '" + text + "': expected " + l.words[1] + " or " +
                         l.words[0]);
      }
    } else if (const auto* i = std::get_if<int64_t DemoSettings::*>(&l.setting)) {
      const double v = parse_number(l, text);
      if (v != std::floor(v)) throw UsageError(l.option + " '" + text + "': expected an integer");
      s.*(*i) = static_cast<int64_t>(v);
    } else {
      s.*std::get<double DemoSettings::*>(l.setting) = parse_number(l, text);
    }
  }
}

}  // namespace lagm::demo

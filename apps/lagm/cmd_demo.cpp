// lagm demo: the whole method end to end on the built-in faces domain (see src/lagm/demo/demo.h).
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/demo/demo.h"
#include "lagm/io/run_directory.h"
#include "lagm/train/precision.h"

#ifndef LAGM_MODELS_DIR
#define LAGM_MODELS_DIR "models"
#endif

namespace lagm::cli {
namespace {

struct DemoArgs {
  CommonArgs common;
  std::string out = "demo-run", generator, labelled_style = "photo", seeds;
  int64_t labels = 10;
  bool quick = false, route_ceiling = false, synthetic_only_rows = false;
  std::string arms = "default", precision = "fp32";
  std::string calibrate_priors, label_batch, label_augment;
  double label_loss_weight = -1, magnitude_weight = -1, class_balance = -1,
         downstream_class_balance = -1, segmenter_lr = -1, annotator_lr = -1,
         pseudo_label_weight = -1, annotator_ema = -1;
  std::string gm_init;
  int64_t gm_steps = 0, gm_segmenter_width = 0, synthesized = 0, mix_labels = -1;
  double synthesis_psi = -1, finetune_lr = -1;
};

bool parse_on_off(const std::string& text, const std::string& option) {
  if (text == "on") return true;
  if (text == "off") return false;
  throw UsageError(option + " '" + text + "': expected on or off");
}

/// The shipped generator: $LAGM_MODELS/faces64.safetensors, else the source tree's models/.
std::string default_generator() {
  if (const char* dir = std::getenv("LAGM_MODELS"))
    return (std::filesystem::path(dir) / "faces64.safetensors").string();
  return (std::filesystem::path(LAGM_MODELS_DIR) / "faces64.safetensors").string();
}

void run_demo_command(const DemoArgs& args) {
  demo::DemoOptions o;
  o.device = apply_common(args.common);
  o.out = args.out;
  o.generator = args.generator.empty() ? default_generator() : args.generator;
  o.labels = args.labels;
  o.labelled_style = toy::parse_style(args.labelled_style);
  o.quick = args.quick;
  o.seed = args.common.seed;
  if (!args.calibrate_priors.empty())
    o.levers.calibrate_priors = parse_on_off(args.calibrate_priors, "--calibrate-priors");
  if (args.magnitude_weight >= 0) o.levers.magnitude_weight = args.magnitude_weight;
  if (args.class_balance >= 0) o.levers.class_balance_power = args.class_balance;
  if (args.downstream_class_balance >= 0)
    o.levers.downstream_class_balance = args.downstream_class_balance;
  if (args.segmenter_lr >= 0) o.levers.segmenter_lr = args.segmenter_lr;
  if (args.annotator_lr >= 0) o.levers.annotator_lr = args.annotator_lr;
  if (args.pseudo_label_weight >= 0) o.levers.pseudo_label_weight = args.pseudo_label_weight;
  if (args.annotator_ema >= 0) o.levers.annotator_ema = args.annotator_ema;
  if (!args.gm_init.empty()) {
    if (args.gm_init != "random" && args.gm_init != "pseudo_label")
      throw UsageError("--gm-init '" + args.gm_init + "': expected random or pseudo_label");
    o.levers.init_from_pseudo_label = args.gm_init == "pseudo_label";
  }
  if (!args.label_batch.empty()) {
    if (args.label_batch != "all" && args.label_batch != "batch")
      throw UsageError("--label-batch '" + args.label_batch + "': expected all or batch");
    o.levers.all_labels = args.label_batch == "all";
  }
  if (args.label_loss_weight >= 0) o.levers.label_loss_weight = args.label_loss_weight;
  if (!args.label_augment.empty())
    o.levers.label_augment = parse_on_off(args.label_augment, "--label-augment");
  if (args.gm_steps > 0) o.levers.steps = args.gm_steps;
  if (args.gm_segmenter_width > 0) o.levers.gm_segmenter_channels = args.gm_segmenter_width;
  if (args.synthesized > 0) o.levers.synthesized = args.synthesized;
  if (args.synthesis_psi >= 0) o.levers.synthesis_psi = args.synthesis_psi;
  if (args.finetune_lr >= 0) o.levers.finetune_lr = args.finetune_lr;
  if (args.mix_labels >= 0) o.levers.mix_labels = args.mix_labels;
  if (args.synthetic_only_rows) o.levers.synthetic_only_rows = true;
  o.route_ceiling = args.route_ceiling;
  o.all_arms = args.arms == "all";
  o.precision = train::parse_precision(args.precision, "--precision");
  const auto progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  std::vector<demo::DemoResult> results;
  if (!args.seeds.empty()) {
    if (args.common.seed_given()) throw UsageError("--seed and --seeds exclude each other");
    std::vector<uint64_t> seeds;
    for (int64_t s : parse_seed_list(args.seeds)) seeds.push_back(static_cast<uint64_t>(s));
    results = demo::run_demo_seeds(o, seeds, progress);
  } else {
    results.push_back(demo::run_demo(o, progress));
  }
  for (const auto& r : results) {
    std::printf("%-20s %7s %8s\n", "method", "mIoU", "FG-mIoU");
    for (const auto& a : r.arms)
      std::printf("%-20s %7.4f %8.4f\n", a.name.c_str(), a.metrics.mean_iou, a.metrics.fg_mean_iou);
    std::printf("%s: report.html, report.md, results.json (%s)\n", r.out.c_str(),
                io::format_duration(r.seconds).c_str());
  }
  if (results.size() > 1)
    std::printf("%s: summary.md, summary.json (mean and std over the seeds)\n", o.out.c_str());
}

// The setting: where, how many labels of which style, which generator, which seeds.
void add_setting_options(CLI::App& cmd, DemoArgs& args) {
  cmd.add_option("--out", args.out, "run folder")->capture_default_str();
  cmd.add_option("--labels", args.labels, "number of labelled images N")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--labelled-style", args.labelled_style,
                 "photo, or flat for the out-of-domain setting")
      ->capture_default_str();
  cmd.add_flag("--quick", args.quick, "reduced sizes and budgets (CI; under 3 minutes)");
  cmd.add_option("--generator", args.generator,
                 "generator checkpoint (default: the shipped models/faces64.safetensors)");
  cmd.add_option("--seeds", args.seeds,
                 "run once per seed (e.g. 0,1,2) into OUT/seed-S and summarize mean and std");
}

// The levers of gradient matching (phase I) and of the arms' downstream losses.
void add_lever_options(CLI::App& cmd, DemoArgs& args) {
  cmd.add_option("--calibrate-priors", args.calibrate_priors,
                 "on|off: class-prior calibration of the gradient-matching annotator at synthesis "
                 "(default on)");
  cmd.add_option("--magnitude-weight", args.magnitude_weight,
                 "weight of the matcher's gradient-magnitude term (default 0)")
      ->check(CLI::NonNegativeNumber)
      ->check(finite_number());
  cmd.add_option("--class-balance", args.class_balance,
                 "power p of the class-balanced matching losses, weights ~ frequency^-p (default "
                 "1; 0 = off)")
      ->check(CLI::Range(0.0, 1.0))
      ->check(finite_number());
  cmd.add_option("--downstream-class-balance", args.downstream_class_balance,
                 "power p of every downstream U-Net's class-balanced loss, the same for all arms "
                 "(default 1; 0 = plain)")
      ->check(CLI::Range(0.0, 1.0))
      ->check(finite_number());
  cmd.add_option("--gm-annotator-lr", args.annotator_lr,
                 "Adam learning rate of A in phase I (default 1e-3; e.g. 1e-4 with --gm-init "
                 "pseudo_label, so that matching refines that annotator)")
      ->check(CLI::PositiveNumber)
      ->check(finite_number());
  cmd.add_option("--gm-pseudo-label-weight", args.pseudo_label_weight,
                 "phase A also pulls A's labels towards the few-label U-Net's labels of the same "
                 "generated images, with this weight against the matching loss (default 1; 0 = "
                 "matching alone)")
      ->check(CLI::NonNegativeNumber)
      ->check(finite_number());
  cmd.add_option("--gm-segmenter-lr", args.segmenter_lr,
                 "Adam learning rate of S in phase I (default 3e-4)")
      ->check(CLI::PositiveNumber)
      ->check(finite_number());
  cmd.add_option("--annotator-ema", args.annotator_ema,
                 "decay of a moving average of A's weights, used for synthesis (default 0 = off; "
                 "e.g. 0.998)")
      ->check(CLI::Range(0.0, 0.999999))
      ->check(finite_number());
  cmd.add_option("--gm-init", args.gm_init,
                 "random|pseudo_label: A starts from random weights (the paper) or from the "
                 "pseudo-labelling annotator");
  cmd.add_option("--label-batch", args.label_batch,
                 "all|batch: target gradient from all N labels or a batch of 2 (default batch)");
  cmd.add_option("--label-loss-weight", args.label_loss_weight,
                 "phase S also trains S on the labelled batch with this weight (default 0: S "
                 "learns from the annotator's labels only, the reference)")
      ->check(CLI::NonNegativeNumber)
      ->check(finite_number());
  cmd.add_option("--label-augment", args.label_augment,
                 "on|off: flips, scale/crop and colour jitter of phase I's labelled batches "
                 "(default off)");
}

// Which arms run, on what budgets.
void add_arm_options(CLI::App& cmd, DemoArgs& args) {
  cmd.add_option("--precision", args.precision,
                 "fp32 (exact) or bf16 (fast mode) for gradient matching's phase I and synthesis")
      ->capture_default_str();
  cmd.add_option("--arms", args.arms,
                 "default, or all: adds the paper's comparison arms (supervised, datasetgan, "
                 "inversion, maml) on the same data and downstream budget")
      ->check(CLI::IsMember({"default", "all"}))
      ->capture_default_str();
  cmd.add_flag(
      "--route-ceiling", args.route_ceiling,
      "add pseudo-labelling with the oracle as labeller: the best the synthesis route can give");
  cmd.add_option("--gm-steps", args.gm_steps,
                 "matching steps of phase I (default 2400; --quick 40)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--gm-segmenter-width", args.gm_segmenter_width,
                 "U-Net base width of S in phase I (default 16)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--synthesized", args.synthesized,
                 "images synthesized per route arm (default 2000; --quick 300)")
      ->check(CLI::PositiveNumber);
  cmd.add_option(
         "--synthesis-psi", args.synthesis_psi,
         "truncation psi of every route arm's synthesized images (default 0.7, the psi of phase I)")
      ->check(CLI::Range(0.0, 2.0))
      ->check(finite_number());
  cmd.add_option("--finetune-lr", args.finetune_lr,
                 "also fine-tune each route arm's U-Net on the N labels at this Adam learning "
                 "rate (rows <arm>_finetuned; 0 = off)")
      ->check(CLI::NonNegativeNumber)
      ->check(finite_number());
  cmd.add_option("--mix-labels", args.mix_labels,
                 "K of every 16 samples of the route arms' downstream training drawn from the N "
                 "labels (default 4; 0 = the synthesized set alone, the paper's protocol)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_flag("--synthetic-only-rows", args.synthetic_only_rows,
               "also train each route arm's U-Net on its synthesized set alone (rows "
               "<arm>_synthetic_only)");
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand(
      "demo",
      "the whole method end to end on the built-in faces domain, with baselines and a report");
  add_setting_options(*cmd, *args);
  add_lever_options(*cmd, *args);
  add_arm_options(*cmd, *args);
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_demo_command(*args); });
}

}  // namespace lagm::cli

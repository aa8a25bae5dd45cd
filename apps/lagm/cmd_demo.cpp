// lagm demo: the whole method end to end on the built-in faces domain (see src/lagm/demo/demo.h).
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <variant>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/demo/demo.h"
#include "lagm/demo/levers.h"
#include "lagm/io/run_directory.h"
#include "lagm/train/precision.h"

#ifndef LAGM_MODELS_DIR
#define LAGM_MODELS_DIR "models"
#endif

namespace lagm::cli {
namespace {

struct DemoArgs {
  CommonArgs common;
  std::string out = "demo-run", generator, labelled_style = "photo", labelled_source = "rendered",
              seeds;
  int64_t labels = 10;
  bool quick = false, route_ceiling = false;
  std::string arms = "default", precision = "fp32";
  demo::LeverOverrides levers;  ///< the levers given, as typed (demo/levers.h checks them)
};

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
  o.labelled_source = demo::parse_labelled_source(args.labelled_source);
  o.quick = args.quick;
  o.seed = args.common.seed;
  o.levers = args.levers;
  o.route_ceiling = args.route_ceiling;
  o.comparison_arms = demo::parse_arm_list(args.arms);
  o.precision = train::parse_precision(args.precision, "--precision");
  demo::check_demo_options(o);
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
  cmd.add_option("--labelled-source", args.labelled_source,
                 "rendered (labelled-style renders), or generated: N generated images labelled by "
                 "the oracle, for every arm (the paper's Table 1 protocol)")
      ->capture_default_str();
  cmd.add_flag("--quick", args.quick, "reduced sizes and budgets (CI; under 3 minutes)");
  cmd.add_option("--generator", args.generator,
                 "generator checkpoint (default: the shipped models/faces64.safetensors)");
  cmd.add_option("--seeds", args.seeds,
                 "run once per seed (e.g. 0,1,2) into OUT/seed-S and summarize mean and std");
}

// The levers, one option each, from their table (demo/levers.h): the help shows the live default
// and the range; the values are checked where they are applied.
void add_lever_options(CLI::App& cmd, DemoArgs& args) {
  const demo::DemoSettings defaults;
  for (const auto& lever : demo::levers()) {
    const std::string option = lever.option;
    const std::string help = lever.help + " (default " + demo::lever_value(lever, defaults) + "; " +
                             demo::lever_domain(lever) + ")";
    if (lever.words[0].empty() &&
        std::holds_alternative<bool demo::DemoSettings::*>(lever.setting)) {
      cmd.add_flag_callback(
          option, [&args, option] { args.levers[option] = ""; }, lever.help);
      continue;
    }
    const bool count = std::holds_alternative<int64_t demo::DemoSettings::*>(lever.setting);
    const bool word = std::holds_alternative<bool demo::DemoSettings::*>(lever.setting);
    auto* opt = cmd.add_option_function<std::string>(
                       option,
                       [&args, option](const std::string& v) {
                         args.levers[option] = v.empty() ? "on" : v;
                       },
                       help)
                    ->type_name(word    ? "WORD"
                                : count ? "INT"
                                        : "NUMBER");
    // An on|off lever means what it means in every command: bare, it is on.
    if (lever.words[1] == "on") opt->expected(0, 1)->type_name("[on|off]");
    if (lever.old_option.empty()) continue;
    cmd.add_option_function<std::string>(
        lever.old_option,
        [&args, option, old = lever.old_option](const std::string& v) {
          std::fprintf(stderr,
                       "lagm demo: %s is now %s (the old spelling goes in the next release)\n",
                       old.c_str(), option.c_str());
          args.levers[option] = v;
        },
        "old spelling of " + option);
  }
}

// Which arms run, on what budgets.
void add_arm_options(CLI::App& cmd, DemoArgs& args) {
  cmd.add_option("--precision", args.precision,
                 "fp32 (exact) or bf16 (fast mode) for gradient matching's phase I and synthesis")
      ->capture_default_str();
  cmd.add_option("--arms", args.arms,
                 "default, all, or a comma-separated list of the paper's comparison arms to add "
                 "(matching_alone, supervised, datasetgan, inversion, maml, mean_teacher, "
                 "adversarial_ssl), on the same data and downstream budget")
      ->capture_default_str();
  cmd.add_flag(
      "--route-ceiling", args.route_ceiling,
      "add pseudo-labelling with the oracle as labeller: the best the synthesis route can give");
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

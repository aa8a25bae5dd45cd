// lagm demo: the whole method end to end on the built-in faces domain (see src/lagm/demo/demo.h).
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <torch/torch.h>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/demo/demo.h"
#include "lagm/io/run_directory.h"

#ifndef LAGM_MODELS_DIR
#define LAGM_MODELS_DIR "models"
#endif

namespace lagm::cli {
namespace {

struct DemoArgs {
  CommonArgs common;
  std::string out = "demo-run", generator, labelled_style = "photo";
  int64_t labels = 10;
  bool quick = false;
};

/// The shipped generator: $LAGM_MODELS/faces64.safetensors, else the source tree's models/.
std::string default_generator() {
  if (const char* dir = std::getenv("LAGM_MODELS")) return (std::filesystem::path(dir) / "faces64.safetensors").string();
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
  const auto r = demo::run_demo(o, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  std::printf("%-20s %7s %8s\n", "method", "mIoU", "FG-mIoU");
  for (const auto& a : r.arms)
    std::printf("%-20s %7.4f %8.4f\n", a.name.c_str(), a.metrics.mean_iou, a.metrics.fg_mean_iou);
  std::printf("%s: report.html, report.md, results.json (%s)\n", r.out.c_str(), io::format_duration(r.seconds).c_str());
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand("demo", "the whole method end to end on the built-in faces domain, with baselines and a report");
  cmd->add_option("--out", args->out, "run folder")->capture_default_str();
  cmd->add_option("--labels", args->labels, "number of labelled images N")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--labelled-style", args->labelled_style, "photo, or flat for the out-of-domain setting")->capture_default_str();
  cmd->add_flag("--quick", args->quick, "reduced sizes and budgets (CI; under 3 minutes)");
  cmd->add_option("--generator", args->generator, "generator checkpoint (default: the shipped models/faces64.safetensors)");
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_demo_command(*args); });
}

}  // namespace lagm::cli

// lagm train-annotator: phase I (Algorithm 1) from a JSON config into a run directory, or
// --resume of an interrupted run.
#include <cstdio>
#include <cstdlib>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/matching/annotator_trainer.h"
#include "lagm/matching/reference_config.h"
#include "lagm/train/distributed.h"
#include "lagm/train/precision.h"

namespace lagm::cli {
namespace {

struct TrainAnnotatorArgs {
  CommonArgs common;
  std::string config, outdir = "runs", resume, segmenter_backbone, precision;
  int64_t total_iters = 0;
  bool low_memory = false;
};

void run_train_annotator(const TrainAnnotatorArgs& args, const CLI::App& command) {
  const torch::Device device = apply_common(args.common);
  auto progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  // Data-parallel under lagm launch (or torchrun's variables); rank 0 writes and reports.
  const auto env = train::distributed_env_from_environment();
  std::unique_ptr<train::ProcessGroup> group;
  if (env.active()) group = std::make_unique<train::ProcessGroup>(env);
  matching::TrainResult r;
  if (!args.resume.empty()) {
    check_options_beside_resume(command, {"--total-iters"});
    r = matching::resume_annotator_training(args.resume, device, progress, args.total_iters,
                                            group.get());
  } else {
    if (args.config.empty())
      throw UsageError("train-annotator needs --config (or --resume RUN_DIR)");
    auto json = nlohmann::json::parse(core::read_file(args.config), nullptr, false);
    if (json.is_discarded()) throw InputError(args.config + ": not valid JSON");
    // The reference's config files are accepted as they are.
    auto config = matching::is_reference_config(json)
                      ? matching::annotator_config_from_reference(json, args.config)
                      : matching::annotator_train_config_from_json(json, args.config);
    if (args.total_iters > 0) config.total_iters = args.total_iters;
    if (!args.segmenter_backbone.empty())
      config.segmenter_backbone = args.segmenter_backbone == "none" ? "" : args.segmenter_backbone;
    if (args.common.seed_given()) config.seed = args.common.seed;  // else the config's seed
    if (!args.precision.empty()) {
      config.precision = train::parse_precision(args.precision, "--precision");
      matching::check_precision(config, "--precision");
    }
    if (args.low_memory) {
      config.low_memory = true;
      matching::check_low_memory(config, "--low-memory");
    }
    // Absolute paths in the run's config.json: a resume from another working directory reads
    // the same files (relative paths are taken from the working directory, as before).
    for (auto* path : {&config.generator, &config.segmenter_backbone, &config.segmenter_init,
                       &config.annotator_init, &config.pseudo_labeller})
      *path = absolute_path(*path);
    config.training_set = with_absolute_path(config.training_set);
    config.validation_set = with_absolute_path(config.validation_set);
    r = matching::train_annotator(config, args.outdir, device, progress, group.get());
  }
  if (env.rank != 0) return;
  std::printf("%s: %lld iterations in %.1f s", r.run_dir.c_str(),
              static_cast<long long>(r.iterations), r.seconds);
  if (r.best_iteration >= 0)
    std::printf(", best validation FG-mIoU %.4f at iteration %lld", r.best_fg_miou,
                static_cast<long long>(r.best_iteration));
  std::printf("\n");
}

}  // namespace

void add_train_annotator_command(CLI::App& app) {
  auto args = std::make_shared<TrainAnnotatorArgs>();
  auto* cmd = app.add_subcommand("train-annotator",
                                 "learn an annotator by gradient matching (phase I, Algorithm 1)");
  cmd->add_option("--config", args->config, "run configuration (JSON)");
  // --out names a run's own folder in every other command; here the folder holds numbered runs.
  cmd->add_option("--runs", args->outdir,
                  "folder of numbered runs: each new run is RUNS/NNNNN-<run_name>")
      ->capture_default_str();
  cmd->add_option_function<std::string>(
      "--out,--outdir",
      [args](const std::string& v) {
        const char* rank = std::getenv("RANK");  // once, not once per process of a launch
        if (!rank || std::string(rank) == "0")
          std::fprintf(stderr,
                       "train-annotator: --out is now --runs (a folder of numbered runs; the old "
                       "spelling goes in the next release)\n");
        args->outdir = v;
      },
      "old spelling of --runs");
  cmd->add_option("--resume", args->resume,
                  "continue the run in this run directory from its last snapshot");
  cmd->add_option("--backbone-weights,--segmenter-backbone", args->segmenter_backbone,
                  "ImageNet ResNet (.safetensors) for a DeepLab S, overriding the config; 'none' = "
                  "random weights "
                  "(--segmenter-backbone: older name)");
  cmd->add_option("--total-iters", args->total_iters, "override total_iters (0 = as configured)")
      ->capture_default_str();
  cmd->add_option("--precision", args->precision,
                  "fp32 (exact, the reference's arithmetic) or bf16 (fast mode), overriding the "
                  "config's \"precision\"");
  cmd->add_flag("--low-memory", args->low_memory,
                "phase A by a forward-mode pass of S instead of its double backward (less memory, "
                "more time; the same derivative to float rounding), overriding the config's "
                "\"low_memory\"");
  add_common_options(*cmd, args->common);
  cmd->callback([args, cmd] { run_train_annotator(*args, *cmd); });
}

}  // namespace lagm::cli

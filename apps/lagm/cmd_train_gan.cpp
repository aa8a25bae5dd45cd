// lagm train-gan: trains a StyleGAN2 generator on a procedural domain (rendered on the fly) or a
// folder of images; --resume continues a run where it stopped.
#include <torch/torch.h>

#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/gan/gan_trainer.h"

namespace lagm::cli {
namespace {

struct TrainGanArgs {
  CommonArgs common;
  std::string out, resume, config, domain = "faces", style = "photo", data;
  int64_t res = 64, batch = 16;
  double kimg = 150, snapshot_kimg = 10;
  CLI::Option* kimg_option = nullptr;
};

void run_train_gan(const TrainGanArgs& args, const CLI::App& command) {
  const torch::Device device = apply_common(args.common);
  refuse_outputs_over_inputs({{"--out", args.out}},
                             {{"--data", args.data}, {"--config", args.config}});
  auto progress = [](const std::string& line) { std::fprintf(stderr, "\r%s   ", line.c_str()); };
  gan::GanTrainResult r;
  if (!args.resume.empty()) {
    check_options_beside_resume(command, {"--kimg"});
    r = gan::resume_gan_training(args.resume, device, args.kimg_option->count() ? args.kimg : 0,
                                 progress);
  } else {
    if (args.out.empty()) throw UsageError("train-gan needs --out DIR (or --resume DIR)");
    gan::GanTrainConfig config = gan::default_gan_config(args.res);
    if (!args.config.empty()) {
      auto json = nlohmann::json::parse(core::read_file(args.config), nullptr, false);
      if (json.is_discarded()) throw InputError(args.config + ": not valid JSON");
      config = gan::gan_train_config_from_json(json, args.config);
    } else {
      config.domain = args.domain;
      config.style = args.style;
      config.data_dir = args.data;
      config.batch = args.batch;
      config.total_kimg = args.kimg;
      config.snapshot_kimg = args.snapshot_kimg;
    }
    config.seed = args.common.seed;
    r = gan::train_gan(config, args.out, device, progress);
  }
  std::fprintf(stderr, "\n");
  std::printf(
      "%s: %lld images shown, %.0f s in total, %.1f img/s this session, last loss G %.3f D %.3f\n",
      r.run_dir.c_str(), static_cast<long long>(r.images_shown), r.seconds, r.images_per_second,
      r.last_loss_g, r.last_loss_d);
}

}  // namespace

void add_train_gan_command(CLI::App& app) {
  auto args = std::make_shared<TrainGanArgs>();
  auto* cmd = app.add_subcommand(
      "train-gan", "train a StyleGAN2 generator (on a procedural domain or a folder)");
  cmd->add_option("--out", args->out, "new run folder");
  cmd->add_option("--resume", args->resume, "continue the run in this folder");
  cmd->add_option("--config", args->config,
                  "full training configuration (JSON, see gan_train_config.h)");
  cmd->add_option("--domain", args->domain, "procedural domain rendered on the fly")
      ->capture_default_str();
  cmd->add_option("--style", args->style, "rendering style of the domain")->capture_default_str();
  cmd->add_option("--data", args->data, "train on this folder data set (img/) instead of a domain");
  cmd->add_option("--res", args->res, "resolution")->capture_default_str();
  cmd->add_option("--batch", args->batch, "batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  args->kimg_option =
      cmd->add_option("--kimg", args->kimg, "train until this many thousand images were shown")
          ->capture_default_str()
          ->check(finite_number());
  cmd->add_option("--snapshot-kimg", args->snapshot_kimg, "snapshot and sample grid every N kimg")
      ->capture_default_str()
      ->check(finite_number());
  add_common_options(*cmd, args->common);
  cmd->callback([args, cmd] { run_train_gan(*args, *cmd); });
}

}  // namespace lagm::cli

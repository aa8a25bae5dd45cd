// lagm project: every image of a folder data set inverted into a StyleGAN2 (latent in W+ and noise
// maps, the projector of stylegan2-ada-pytorch with a pixel distance), for the inversion arm:
// train-annotator-supervised --projections then fits the annotator to the projections' features.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lagm/baselines/projection_set.h"
#include "lagm/core/error.h"

namespace lagm::cli {
namespace {

struct ProjectArgs {
  CommonArgs common;
  baselines::ProjectImagesOptions options;
  bool single_w = false;
};

void run_project(ProjectArgs args) {
  args.options.device = apply_common(args.common);
  refuse_outputs_over_inputs(
      {{"--out", args.options.out}},
      {{"--generator", args.options.generator}, {"--images", args.options.images}});
  args.options.projector.seed = args.common.seed;
  args.options.projector.w_plus = !args.single_w;
  const double psnr = baselines::project_images(
      args.options, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  std::printf("%s: mean PSNR %.2f dB (pixel MSE distance)\n", args.options.out.c_str(), psnr);
}

}  // namespace

void add_project_command(CLI::App& app) {
  auto args = std::make_shared<ProjectArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand(
      "project", "invert labelled images into a StyleGAN2 (W+ and noise) for the inversion arm");
  cmd->add_option("--generator", o.generator, "StyleGAN2 generator checkpoint")->required();
  cmd->add_option("--images", o.images, "folder data set whose images are projected")->required();
  cmd->add_option("--out", o.out, "folder of latents, reconstructions and projection.json")
      ->required();
  cmd->add_option("--steps", o.projector.steps, "optimisation steps per image")
      ->capture_default_str();
  cmd->add_option("--w-avg-samples", o.projector.w_avg_samples,
                  "mapped latents for w_avg and w_std")
      ->capture_default_str();
  cmd->add_flag("--single-w", args->single_w,
                "one w for every layer (the reference projector) instead of W+");
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_project(*args); });
}

}  // namespace lagm::cli

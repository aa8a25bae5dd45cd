// lagm generate: images (and optionally block features) from a generator checkpoint, as a PNG grid.
// Latents come from numpy.random.RandomState(seed).randn(1, z_dim), as stylegan2-ada's
// generate.py draws them, so seeds name the same images as in the reference tools.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/numpy_random.h"
#include "lagm/core/safetensors.h"
#include "lagm/io/grid.h"
#include "lagm/io/image.h"
#include "lagm/models/feature_generator.h"

namespace lagm::cli {
namespace {

struct GenerateArgs {
  CommonArgs common;
  std::string generator, seeds = "0-15", out = "grid.png", features_dir, images_dir,
                         noise_mode = "const", cutoff;
  double psi = 1.0;
  int64_t batch = 8, cols = 0;
};

void run_generate(const GenerateArgs& args) {
  const torch::Device device = apply_common(args.common);
  refuse_outputs_over_inputs(
      {{"--out", args.out}, {"--features", args.features_dir}, {"--images", args.images_dir}},
      {{"--generator", args.generator}});
  const auto seeds = parse_seed_list(args.seeds);
  auto g = models::load_feature_generator(args.generator, device);
  g->sampling().truncation_psi = args.psi;
  g->sampling().truncation_cutoff = parse_optional_int(args.cutoff, "--cutoff");
  g->sampling().noise_mode = models::parse_noise_mode(args.noise_mode);
  models::require_generation_memory(
      *g, std::min<int64_t>(args.batch, static_cast<int64_t>(seeds.size())),
      "--batch " + std::to_string(args.batch));
  if (!args.features_dir.empty()) core::create_folder_inside(args.features_dir, "");
  if (!args.images_dir.empty()) {
    // What made the images, so that an annotator fitted to their labels makes them again
    // (train-annotator-supervised reads it).
    core::create_folder_inside(args.images_dir, "img");
    auto record = models::to_json(g->sampling());
    record["generator"] = args.generator;
    core::write_file_atomic((std::filesystem::path(args.images_dir) / "generated.json").string(),
                            record.dump(2) + "\n");
  }

  std::vector<torch::Tensor> images;
  for (size_t start = 0; start < seeds.size(); start += static_cast<size_t>(args.batch)) {
    const size_t end = std::min(seeds.size(), start + static_cast<size_t>(args.batch));
    std::vector<torch::Tensor> zs;
    for (size_t i = start; i < end; ++i)
      zs.push_back(core::NumpyRandomState(static_cast<uint32_t>(seeds[i])).randn({1, g->z_dim()}));
    auto z = torch::cat(zs).to(device, torch::kFloat32);
    auto batch = g->generate(z);
    images.push_back(io::to_uint8_image(batch.img.cpu()));
    if (!args.images_dir.empty()) {
      // One PNG per image, named by its seed, quantised as synthesis writes images.
      const auto u8 = io::quantize_generated(batch.img.cpu());
      for (size_t i = start; i < end; ++i) {
        char name[40];
        std::snprintf(name, sizeof name, "img/seed%06lld.png", static_cast<long long>(seeds[i]));
        io::write_png((std::filesystem::path(args.images_dir) / name).string(),
                      u8[static_cast<int64_t>(i - start)]);
      }
    }
    if (!args.features_dir.empty()) {
      for (size_t i = start; i < end; ++i) {
        core::TensorDict dict;
        dict.set("img", batch.img[i - start]);
        for (size_t f = 0; f < batch.features.size(); ++f)
          dict.set("features." + std::to_string(f), batch.features[f][i - start]);
        char name[64];
        std::snprintf(name, sizeof name, "seed%06lld.safetensors",
                      static_cast<long long>(seeds[i]));
        core::write_safetensors((std::filesystem::path(args.features_dir) / name).string(), dict);
      }
    }
    std::fprintf(stderr, "\rgenerated %zu/%zu", end, seeds.size());
  }
  std::fprintf(stderr, "\n");
  io::write_png(args.out, io::tile_images(torch::cat(images), args.cols));
  std::printf("%s: %zu images\n", args.out.c_str(), seeds.size());
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd =
      app.add_subcommand("generate", "images (and block features) from a generator, as a PNG grid");
  cmd->add_option("--generator", args->generator, "generator checkpoint (.safetensors)")
      ->required();
  cmd->add_option("--seeds", args->seeds, "seed list, e.g. 0-15 or 1,5,9-12")
      ->capture_default_str();
  cmd->add_option("--psi", args->psi, "truncation psi (1 = none)")
      ->capture_default_str()
      ->check(finite_number());
  cmd->add_option("--cutoff", args->cutoff, "truncate only the first N ws (default: all)");
  cmd->add_option("--noise-mode", args->noise_mode, "random, const or none")->capture_default_str();
  cmd->add_option("--batch", args->batch, "images per forward pass")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--cols", args->cols, "grid columns (0 = square)")
      ->capture_default_str()
      ->check(at_least(0));
  cmd->add_option("--out", args->out, "output PNG grid")->capture_default_str();
  cmd->add_option("--features", args->features_dir,
                  "also save each image's block features here (safetensors)");
  cmd->add_option("--images", args->images_dir,
                  "also save each image as DIR/img/seedNNNNNN.png with DIR/generated.json (what "
                  "made them), to be labelled in DIR/seg/ for train-annotator-supervised");
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace lagm::cli

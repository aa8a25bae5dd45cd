// lagm gan-quality: how well a generator draws the faces domain, measured with an "oracle"
// segmenter trained on labelled renders: the class-frequency histogram of the oracle's
// labels on generated images against the same on renders (L1 distance), and the fraction of
// images whose labelling has exactly two eye regions.
#include <cstdio>

#include <torch/torch.h>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/eval/part_statistics.h"
#include "lagm/method/segmenter_checkpoint.h"
#include "lagm/models/feature_generator.h"
#include "lagm/toy/render_batch.h"

namespace lagm::cli {
namespace {

struct GanQualityArgs {
  CommonArgs common;
  std::string generator, oracle, json;
  int64_t num = 1000, batch = 50, min_region = 2;
  double psi = 1.0;
};

torch::Tensor label_with(models::Segmenter& s, const torch::Tensor& x, torch::Device device) {
  torch::NoGradGuard no_grad;
  return s.forward(x.to(device)).argmax(1).cpu();
}

void run_gan_quality(const GanQualityArgs& args) {
  const torch::Device device = apply_common(args.common);
  auto oracle = method::load_segmenter(args.oracle);
  oracle.segmenter->module().to(device);
  const auto& domain = toy::find_domain("faces");
  if (oracle.class_names != domain.class_names)
    throw InputError(args.oracle + ": not a faces segmenter (its classes differ from the faces domain's)");
  auto g = models::load_feature_generator(args.generator, device);
  g->sampling().truncation_psi = args.psi;
  g->sampling().truncation_cutoff = c10::nullopt;
  const int64_t res = g->img_resolution(), k = static_cast<int64_t>(domain.class_names.size()), eyes = 3;

  std::vector<torch::Tensor> gen_labels, render_labels, render_truth;
  torch::manual_seed(args.common.seed);
  for (int64_t begin = 0; begin < args.num; begin += args.batch) {
    const int64_t n = std::min(args.batch, args.num - begin);
    torch::Tensor img;
    {
      torch::NoGradGuard no_grad;
      img = g->generate(torch::randn({n, g->z_dim()}).to(device)).img;
    }
    // What synthesis would write: the 8-bit image.
    const auto x = (img.cpu() * 127.5 + 128).clamp(0, 255).floor().div(127.5).sub(1.0);
    gen_labels.push_back(label_with(*oracle.segmenter, x, device));
    std::vector<uint64_t> seeds;
    for (int64_t i = 0; i < n; ++i) seeds.push_back(4000000 + static_cast<uint64_t>(begin + i));
    const auto r = toy::render_batch(domain, toy::Style::kPhoto, res, seeds);
    render_labels.push_back(label_with(*oracle.segmenter, toy::to_network_input(r.images_u8), device));
    render_truth.push_back(r.labels);
    std::fprintf(stderr, "\r%lld/%lld", static_cast<long long>(begin + n), static_cast<long long>(args.num));
  }
  std::fprintf(stderr, "\n");
  const auto gen = eval::part_statistics(torch::cat(gen_labels), k, eyes, 2, args.min_region);
  const auto ren = eval::part_statistics(torch::cat(render_labels), k, eyes, 2, args.min_region);
  const auto truth = eval::part_statistics(torch::cat(render_truth), k, eyes, 2, args.min_region);
  std::printf("%-12s %10s %10s %10s\n", "class", "generated", "renders", "truth");
  for (int64_t c = 0; c < k; ++c)
    std::printf("%-12s %9.2f%% %9.2f%% %9.2f%%\n", domain.class_names[static_cast<size_t>(c)].c_str(),
                100 * gen.class_fraction[static_cast<size_t>(c)], 100 * ren.class_fraction[static_cast<size_t>(c)],
                100 * truth.class_fraction[static_cast<size_t>(c)]);
  const double l1 = eval::l1_distance(gen.class_fraction, ren.class_fraction);
  std::printf("L1(generated, renders) = %.4f   two eye regions: generated %.1f%%, renders %.1f%% (truth %.1f%%)\n", l1,
              100 * gen.expected_regions_fraction, 100 * ren.expected_regions_fraction, 100 * truth.expected_regions_fraction);
  if (!args.json.empty()) {
    const nlohmann::json j = {{"generator", args.generator}, {"oracle", args.oracle}, {"num", args.num}, {"psi", args.psi},
                              {"class_names", domain.class_names},
                              {"generated", {{"class_fraction", gen.class_fraction}, {"two_eyes", gen.expected_regions_fraction}}},
                              {"renders", {{"class_fraction", ren.class_fraction}, {"two_eyes", ren.expected_regions_fraction}}},
                              {"truth", {{"class_fraction", truth.class_fraction}, {"two_eyes", truth.expected_regions_fraction}}},
                              {"l1_generated_vs_renders", l1}};
    core::write_file_atomic(args.json, j.dump(2) + "\n");
  }
}

}  // namespace

void add_gan_quality_command(CLI::App& app) {
  auto args = std::make_shared<GanQualityArgs>();
  auto* cmd = app.add_subcommand("gan-quality", "measure a faces generator with an oracle segmenter (class histogram, two eyes)");
  cmd->add_option("--generator", args->generator, "generator checkpoint")->required();
  cmd->add_option("--oracle", args->oracle, "segmenter trained on labelled faces renders (e.g. a demo's oracle)")->required();
  cmd->add_option("--num", args->num, "generated images and renders")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--psi", args->psi, "truncation psi of the generated images")->capture_default_str()->check(finite_number());
  cmd->add_option("--min-region", args->min_region, "smallest eye region counted (pixels)")->capture_default_str();
  cmd->add_option("--json", args->json, "also write the numbers here");
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_gan_quality(*args); });
}

}  // namespace lagm::cli

// lagm gan-quality: how well a generator draws the faces domain (synth/generator_quality.h), as a
// table and optionally JSON.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/models/feature_generator.h"
#include "lagm/synth/generator_quality.h"
#include "lagm/toy/domain.h"

namespace lagm::cli {
namespace {

struct GanQualityArgs {
  CommonArgs common;
  std::string generator, oracle, json;
  int64_t num = 1000, batch = 50, min_region = 2;
  double psi = 1.0;
};

void run_gan_quality(const GanQualityArgs& args) {
  synth::GeneratorQualityOptions o;
  o.device = apply_common(args.common);
  refuse_outputs_over_inputs({{"--json", args.json}},
                             {{"--generator", args.generator}, {"--oracle", args.oracle}});
  o.seed = args.common.seed;
  o.num = args.num;
  o.batch = args.batch;
  o.min_region = args.min_region;
  o.psi = args.psi;
  auto oracle = annotator::load_segmenter(resolve_model_path(args.oracle, "--oracle"));
  oracle.segmenter->module().to(o.device);
  const auto& domain = toy::find_domain("faces");
  if (oracle.class_names != domain.class_names)
    throw InputError(args.oracle +
                     ": not a faces segmenter (its classes differ from the faces domain's)");
  auto g = models::load_feature_generator(args.generator, o.device);
  const auto q = synth::measure_generator_quality(
      *g, *oracle.segmenter, o,
      [](const std::string& line) { std::fprintf(stderr, "\r%s", line.c_str()); });
  std::fprintf(stderr, "\n");
  std::printf("%-12s %10s %10s %10s\n", "class", "generated", "renders", "truth");
  for (size_t c = 0; c < domain.class_names.size(); ++c)
    std::printf("%-12s %9.2f%% %9.2f%% %9.2f%%\n", domain.class_names[c].c_str(),
                100 * q.generated.class_fraction[c], 100 * q.renders.class_fraction[c],
                100 * q.truth.class_fraction[c]);
  std::printf(
      "L1(generated, renders) = %.4f   two eye regions: generated %.1f%%, renders %.1f%% (truth "
      "%.1f%%)\n",
      q.l1_generated_vs_renders, 100 * q.generated.expected_regions_fraction,
      100 * q.renders.expected_regions_fraction, 100 * q.truth.expected_regions_fraction);
  if (!args.json.empty()) {
    auto j = q.to_json();
    j.update({{"generator", args.generator},
              {"oracle", args.oracle},
              {"num", args.num},
              {"psi", args.psi},
              {"class_names", domain.class_names}});
    core::write_file_atomic(args.json, j.dump(2) + "\n");
  }
}

}  // namespace

void add_gan_quality_command(CLI::App& app) {
  auto args = std::make_shared<GanQualityArgs>();
  auto* cmd = app.add_subcommand(
      "gan-quality",
      "measure a faces generator with an oracle segmenter (class histogram, two eyes)");
  cmd->add_option("--generator", args->generator, "generator checkpoint")->required();
  cmd->add_option(
         "--oracle", args->oracle,
         "segmenter trained on labelled faces renders (e.g. a demo's oracle; a run folder = "
         "its best checkpoint)")
      ->required();
  cmd->add_option("--num", args->num, "generated images and renders")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--psi", args->psi, "truncation psi of the generated images")
      ->capture_default_str()
      ->check(finite_number());
  cmd->add_option("--min-region", args->min_region, "smallest eye region counted (pixels)")
      ->capture_default_str();
  cmd->add_option("--json", args->json, "also write the numbers here");
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_gan_quality(*args); });
}

}  // namespace lagm::cli

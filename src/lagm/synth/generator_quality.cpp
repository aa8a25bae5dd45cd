#include "lagm/synth/generator_quality.h"

#include <torch/torch.h>

#include <algorithm>

#include "lagm/core/error.h"
#include "lagm/io/image.h"
#include "lagm/toy/domain.h"
#include "lagm/toy/render_batch.h"

namespace lagm::synth {
namespace {

torch::Tensor label_with(models::Segmenter& s, const torch::Tensor& x, torch::Device device) {
  torch::NoGradGuard no_grad;
  return s.forward(x.to(device)).argmax(1).cpu();
}

nlohmann::json part_json(const eval::PartStatistics& s) {
  return {{"class_fraction", s.class_fraction}, {"two_eyes", s.expected_regions_fraction}};
}

}  // namespace

nlohmann::json GeneratorQuality::to_json() const {
  return {{"generated", part_json(generated)},
          {"renders", part_json(renders)},
          {"truth", part_json(truth)},
          {"l1_generated_vs_renders", l1_generated_vs_renders}};
}

GeneratorQuality measure_generator_quality(models::FeatureGenerator& g, models::Segmenter& oracle,
                                           const GeneratorQualityOptions& o,
                                           const ProgressFn& progress) {
  const auto& domain = toy::find_domain("faces");
  const int64_t k = static_cast<int64_t>(domain.class_names.size());
  constexpr int64_t kEyes = 3, kTwoRegions = 2;
  if (oracle.config().num_classes != k)
    throw InputError("gan-quality: the oracle labels " +
                     std::to_string(oracle.config().num_classes) +
                     " classes, the faces domain has " + std::to_string(k));
  g.sampling().truncation_psi = o.psi;
  g.sampling().truncation_cutoff = c10::nullopt;
  const int64_t res = g.img_resolution();

  std::vector<torch::Tensor> gen_labels, render_labels, render_truth;
  torch::manual_seed(o.seed);
  for (int64_t begin = 0; begin < o.num; begin += o.batch) {
    const int64_t n = std::min(o.batch, o.num - begin);
    torch::Tensor img;
    {
      torch::NoGradGuard no_grad;
      img = g.generate(torch::randn({n, g.z_dim()}).to(o.device)).img;
    }
    gen_labels.push_back(
        label_with(oracle, io::as_synthesized(img), o.device));  // what synthesis writes
    std::vector<uint64_t> seeds;
    for (int64_t i = 0; i < n; ++i) seeds.push_back(4000000 + static_cast<uint64_t>(begin + i));
    const auto r = toy::render_batch(domain, toy::Style::kPhoto, res, seeds);
    render_labels.push_back(label_with(oracle, toy::to_network_input(r.images_u8), o.device));
    render_truth.push_back(r.labels);
    if (progress) progress(std::to_string(begin + n) + "/" + std::to_string(o.num));
  }
  GeneratorQuality q;
  q.generated = eval::part_statistics(torch::cat(gen_labels), k, kEyes, kTwoRegions, o.min_region);
  q.renders = eval::part_statistics(torch::cat(render_labels), k, kEyes, kTwoRegions, o.min_region);
  q.truth = eval::part_statistics(torch::cat(render_truth), k, kEyes, kTwoRegions, o.min_region);
  q.l1_generated_vs_renders =
      eval::l1_distance(q.generated.class_fraction, q.renders.class_fraction);
  return q;
}

}  // namespace lagm::synth

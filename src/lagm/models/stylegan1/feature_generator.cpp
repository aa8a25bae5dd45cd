#include "lagm/models/stylegan1/feature_generator.h"

#include <torch/torch.h>

#include "lagm/core/state_dict.h"

namespace lagm::models::stylegan1 {
namespace F = torch::nn::functional;

StyleGAN1FeatureGenerator::StyleGAN1FeatureGenerator(StyleGAN1Generator generator)
    : generator_(std::move(generator)) {
  generator_->eval();
  for (auto& p : generator_->parameters()) p.set_requires_grad(false);
  sampling_.truncation_psi = generator_->options.truncation_psi;
  sampling_.truncation_cutoff = generator_->options.truncation_max_layer;
}

GeneratedBatch StyleGAN1FeatureGenerator::generate(const torch::Tensor& z) {
  torch::NoGradGuard no_grad;
  // Sampling settings map onto the generator's truncation options.
  generator_->options.truncation_psi = sampling_.truncation_psi;
  generator_->options.truncation_max_layer = sampling_.truncation_cutoff.value_or(18);
  auto out = generator_->forward(z, sampling_.noise_mode);
  GeneratedBatch b{out.img, out.features};
  if (generator_->options.resolution == 1024) {
    auto down = [](const torch::Tensor& x) {
      return F::interpolate(x, F::InterpolateFuncOptions()
                                   .size(std::vector<int64_t>{512, 512})
                                   .mode(torch::kBilinear)
                                   .align_corners(false));
    };
    b.img = down(b.img);
    const size_t n = b.features.size();
    b.features[n - 1] = down(b.features[n - 1]);
    b.features[n - 2] = down(b.features[n - 2]);
  }
  return b;
}

std::vector<std::vector<int64_t>> StyleGAN1FeatureGenerator::feature_shapes() const {
  std::vector<std::vector<int64_t>> shapes;
  const auto& o = generator_->options;
  for (int64_t res = 4; res <= o.resolution; res *= 2) {
    const int64_t r = std::min<int64_t>(res, 512);
    shapes.push_back({o.channels_at(res), r, r});
    shapes.push_back({o.channels_at(res), r, r});
  }
  return shapes;
}

void StyleGAN1FeatureGenerator::to(torch::Device device) {
  generator_->to(device);
  device_ = device;
}

StyleGAN1Generator load_stylegan1(const ModelCheckpoint& checkpoint) {
  auto options = stylegan1_options_from_json(checkpoint.config, checkpoint.path + ": config");
  if (checkpoint.tensors.contains("truncation.avg_latent") &&
      checkpoint.tensors.at("truncation.avg_latent").dim() == 3)
    options.avg_latent_layers = 18;
  StyleGAN1Generator g(options);
  core::load_state_dict(*g, checkpoint.tensors);
  return g;
}

}  // namespace lagm::models::stylegan1

#include "lagm/models/stylegan2/feature_generator.h"

#include <torch/torch.h>

#include "lagm/core/state_dict.h"

namespace lagm::models::stylegan2 {

StyleGAN2FeatureGenerator::StyleGAN2FeatureGenerator(Generator generator, SamplingOptions sampling)
    : generator_(std::move(generator)), sampling_(sampling) {
  generator_->eval();
  for (auto& p : generator_->parameters()) p.set_requires_grad(false);
}

GeneratedBatch StyleGAN2FeatureGenerator::generate(const torch::Tensor& z) {
  return generate_batch(z, /*bf16_features=*/false);
}

GeneratedBatch StyleGAN2FeatureGenerator::generate_for_autocast(const torch::Tensor& z) {
  return generate_batch(z, /*bf16_features=*/true);
}

GeneratedBatch StyleGAN2FeatureGenerator::generate_batch(const torch::Tensor& z,
                                                         bool bf16_features) {
  torch::NoGradGuard no_grad;
  GenerateOptions o;
  o.truncation.psi = sampling_.truncation_psi;
  o.truncation.cutoff = sampling_.truncation_cutoff;
  o.noise_mode = sampling_.noise_mode;
  o.bf16 = bf16_;
  o.bf16_features = bf16_features;
  auto out = generator_->forward(z, o);
  return {out.synthesis.img, out.synthesis.features};
}

torch::Tensor StyleGAN2FeatureGenerator::map_to_w(const torch::Tensor& z) {
  torch::NoGradGuard no_grad;
  return generator_->mapping->forward(z);  // psi 1: no truncation
}

GeneratedBatch StyleGAN2FeatureGenerator::synthesize(const torch::Tensor& ws) {
  auto out = generator_->synthesis->forward(ws, NoiseMode::kConst);
  return {out.img, out.features};
}

std::vector<torch::Tensor> StyleGAN2FeatureGenerator::noise_buffers() {
  std::vector<torch::Tensor> maps;
  for (const auto& b : generator_->synthesis->named_buffers())
    if (b.key().size() >= 11 && b.key().compare(b.key().size() - 11, 11, "noise_const") == 0)
      maps.push_back(b.value());
  return maps;
}

std::vector<std::vector<int64_t>> StyleGAN2FeatureGenerator::feature_shapes() const {
  std::vector<std::vector<int64_t>> shapes;
  for (int64_t res : generator_->synthesis->block_resolutions)
    shapes.push_back({generator_->options.channels_at(res), res, res});
  return shapes;
}

void StyleGAN2FeatureGenerator::to(torch::Device device) {
  generator_->to(device);
  device_ = device;
}

Generator load_generator(const ModelCheckpoint& checkpoint) {
  Generator g(generator_options_from_json(checkpoint.config, checkpoint.path + ": config"));
  core::load_state_dict(*g, checkpoint.tensors);
  return g;
}

}  // namespace lagm::models::stylegan2

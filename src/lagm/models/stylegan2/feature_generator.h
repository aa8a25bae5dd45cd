// StyleGAN2 behind the FeatureGenerator interface: one feature map (x) per synthesis block.
#pragma once

#include "lagm/models/checkpoint.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/stylegan2/generator.h"

namespace lagm::models::stylegan2 {

/// Frozen StyleGAN2 generator with sampling settings.
class StyleGAN2FeatureGenerator : public FeatureGenerator {
 public:
  StyleGAN2FeatureGenerator(Generator generator, SamplingOptions sampling);
  GeneratedBatch generate(const torch::Tensor& z) override;
  int64_t z_dim() const override { return generator_->options.z_dim; }
  int64_t img_resolution() const override { return generator_->options.img_resolution; }
  std::vector<std::vector<int64_t>> feature_shapes() const override;
  void to(torch::Device device) override;
  torch::Device device() const override { return device_; }
  SamplingOptions& sampling() override { return sampling_; }
  std::string kind() const override { return "stylegan2"; }
  nlohmann::json config() const override { return to_json(generator_->options); }
  Generator& module() { return generator_; }
  torch::Tensor map_to_w(const torch::Tensor& z) override;
  GeneratedBatch synthesize(const torch::Tensor& ws) override;
  std::vector<torch::Tensor> noise_buffers() override;
  void set_bfloat16(bool on) override { bf16_ = on; }
  GeneratedBatch generate_for_autocast(const torch::Tensor& z) override;

 private:
  Generator generator_;
  SamplingOptions sampling_;
  bool bf16_ = false;

  GeneratedBatch generate_batch(const torch::Tensor& z, bool bf16_features);
  torch::Device device_ = torch::kCPU;
};

/// Builds the generator of a "stylegan2" checkpoint (strict names and shapes).
Generator load_generator(const ModelCheckpoint& checkpoint);

}  // namespace lagm::models::stylegan2

// StyleGAN1 behind the FeatureGenerator interface: two feature maps per block; for the 1024 px
// face model the image and the two 1024 px maps are resized to 512 (bilinear, no antialias), as
// LAGM's wrapper does.
#pragma once

#include "lagm/models/checkpoint.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/stylegan1/generator.h"

namespace lagm::models::stylegan1 {

class StyleGAN1FeatureGenerator : public FeatureGenerator {
 public:
  explicit StyleGAN1FeatureGenerator(StyleGAN1Generator generator);
  GeneratedBatch generate(const torch::Tensor& z) override;
  int64_t z_dim() const override { return 512; }
  int64_t img_resolution() const override {
    return std::min<int64_t>(generator_->options.resolution, 512);
  }
  std::vector<std::vector<int64_t>> feature_shapes() const override;
  void to(torch::Device device) override;
  torch::Device device() const override { return device_; }
  SamplingOptions& sampling() override { return sampling_; }
  std::string kind() const override { return "stylegan1"; }
  nlohmann::json config() const override { return to_json(generator_->options); }

 private:
  StyleGAN1Generator generator_;
  SamplingOptions sampling_;
  torch::Device device_ = torch::kCPU;
};

/// Builds the generator of a "stylegan1" checkpoint (strict names and shapes).
StyleGAN1Generator load_stylegan1(const ModelCheckpoint& checkpoint);

}  // namespace lagm::models::stylegan1

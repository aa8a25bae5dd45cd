// The StyleGAN1 generator of DatasetGAN as LAGM wraps it:
// 8-layer mapping to 18 ws, truncation towards `avg_latent` below a layer, synthesis whose feature
// list holds two maps per block (after the epilogue, then the raw conv output).
// Children "g_mapping", "truncation", "g_synthesis", as the reference's Sequential.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/models/noise_mode.h"
#include "lagm/models/stylegan1/layers.h"

namespace lagm::models::stylegan1 {

/// StyleGANGenerator(img_resolution, truncation_psi, truncation_cutoff) plus the synthesis widths.
struct StyleGAN1Options {
  int64_t resolution = 1024;
  int64_t fmap_base = 8192, fmap_max = 512;
  double truncation_psi = 0.7;
  int64_t truncation_max_layer = 8;
  int64_t avg_latent_layers = 0;  ///< 0: avg_latent is [512]; 18: [1, 18, 512] (DatasetGAN's .npy)
  uint64_t noise_const_seed = 0;  ///< const noise mode: per-layer noise drawn once from this seed
  int64_t channels_at(int64_t res) const;  ///< nf(log2(res) - 1)
};

StyleGAN1Options stylegan1_options_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const StyleGAN1Options& o);

/// Given noise per epilogue, by its reference name ("g_synthesis.blocks.4x4.epi1.top_epi.noise").
using NoiseInputs = std::map<std::string, torch::Tensor>;

/// Output of one call.
struct StyleGAN1Output {
  torch::Tensor ws, img;
  std::vector<torch::Tensor> features;  ///< [x_4, c_4, x_8, c_8, ...]
};

/// Input block (4x4): const + bias, epi1, conv, epi2.
class InputBlockImpl : public torch::nn::Module {
 public:
  InputBlockImpl(int64_t channels, int64_t latent_size);
  torch::Tensor const_, bias;
  LayerEpilogue epi1{nullptr}, epi2{nullptr};
  MyConv2d conv{nullptr};
};
TORCH_MODULE(InputBlock);

/// Block at resolution R >= 8: conv0_up (+blur +bias), epi1, conv1, epi2.
class GSynthesisBlockImpl : public torch::nn::Module {
 public:
  GSynthesisBlockImpl(int64_t in, int64_t out, int64_t latent_size);
  MyConv2d conv0_up{nullptr}, conv1{nullptr};
  LayerEpilogue epi1{nullptr}, epi2{nullptr};
};
TORCH_MODULE(GSynthesisBlock);

/// z [N, 512] -> image [N, 3, R, R] and 2 (log2 R - 1) feature maps.
class StyleGAN1GeneratorImpl : public torch::nn::Module {
 public:
  explicit StyleGAN1GeneratorImpl(StyleGAN1Options options);
  /// noise: kRandom draws fresh noise in the reference's order; kConst uses the seeded per-layer
  /// noise; kNone adds none. `given` (tests) overrides any layer's noise by name.
  StyleGAN1Output forward(const torch::Tensor& z, NoiseMode noise_mode = NoiseMode::kRandom,
                          const NoiseInputs& given = {});
  /// Names of the noise layers, in draw order.
  std::vector<std::string> noise_layer_names() const;

  StyleGAN1Options options;
  std::vector<MyLinear> dense;          // g_mapping.dense0..7
  torch::Tensor avg_latent;             // truncation.avg_latent
  MyConv2d torgb{nullptr};              // g_synthesis.torgb
  InputBlock block4{nullptr};           // g_synthesis.blocks.4x4
  std::vector<GSynthesisBlock> blocks;  // g_synthesis.blocks.8x8 ...

 private:
  torch::Tensor noise_for(const std::string& name, int64_t n, int64_t res,
                          const torch::Tensor& like, NoiseMode mode, const NoiseInputs& given);
  std::map<std::string, torch::Tensor> const_noise_;
};
TORCH_MODULE(StyleGAN1Generator);

}  // namespace lagm::models::stylegan1

// The StyleGAN2 / StyleGAN2-ADA generator (stylegan2-ada-pytorch `Generator`) that also returns
// every synthesis block's feature map, as LAGM's annotator consumes them.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

#include "lagm/models/noise_mode.h"
#include "lagm/models/stylegan2/generator_options.h"
#include "lagm/models/stylegan2/mapping_network.h"
#include "lagm/models/stylegan2/synthesis_block.h"

namespace lagm::models::stylegan2 {

/// Everything the synthesis network computes.
struct SynthesisOutput {
  torch::Tensor img;                        ///< [N, 3, R, R] float32, not clamped
  std::vector<torch::Tensor> features;      ///< x of b4 .. bR, float32 (or the blocks' bf16)
  std::vector<torch::Tensor> block_images;  ///< running img per block (undefined where none)
};

/// `synthesis`: blocks b4 .. bR.
class SynthesisNetworkImpl : public torch::nn::Module {
 public:
  explicit SynthesisNetworkImpl(const GeneratorOptions& options);
  /// ws [N, num_ws, w_dim]. `bf16_features` (with `bf16`): the features stay bfloat16.
  SynthesisOutput forward(const torch::Tensor& ws, NoiseMode noise_mode, bool force_fp32 = false,
                          c10::optional<bool> fused_modconv = c10::nullopt, bool bf16 = false,
                          bool bf16_features = false);

  std::vector<int64_t> block_resolutions;
  std::vector<SynthesisBlock> blocks;  // "b4", "b8", ...
  int64_t num_ws, w_dim;
};
TORCH_MODULE(SynthesisNetwork);

/// Options of one generator call.
struct GenerateOptions {
  Truncation truncation;
  NoiseMode noise_mode = NoiseMode::kRandom;
  bool force_fp32 = false;
  c10::optional<bool> fused_modconv;  ///< nullopt = the reference's choice
  /// Fast mode: every synthesis block in bfloat16 (SynthesisBlock::forward); the mapping and the
  /// returned images stay float32, the features too unless `bf16_features`.
  bool bf16 = false;
  /// With `bf16`: the features as the blocks computed them, for a consumer under bfloat16
  /// autocast (a cast to float32 and back per feature map saved).
  bool bf16_features = false;
};

/// Generator output: the ws and the synthesis output.
struct GeneratorOutput {
  torch::Tensor ws;
  SynthesisOutput synthesis;
};

/// z [N, z_dim] -> image and block features. Children "synthesis" then "mapping" (reference order).
class GeneratorImpl : public torch::nn::Module {
 public:
  explicit GeneratorImpl(GeneratorOptions options);
  GeneratorOutput forward(const torch::Tensor& z, const GenerateOptions& options = {});

  GeneratorOptions options;
  SynthesisNetwork synthesis{nullptr};
  MappingNetwork mapping{nullptr};
};
TORCH_MODULE(Generator);

}  // namespace lagm::models::stylegan2

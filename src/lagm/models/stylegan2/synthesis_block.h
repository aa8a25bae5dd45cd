// One resolution of the synthesis network: conv0 (up), conv1, ToRGB, optional resnet skip.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "lagm/models/noise_mode.h"
#include "lagm/models/stylegan2/generator_options.h"
#include "lagm/models/stylegan2/synthesis_layer.h"
#include "lagm/nn/conv2d_layer.h"

namespace lagm::models::stylegan2 {

/// A block's two outputs: the feature map x (what LAGM's annotator reads) and the running image.
struct BlockOutput {
  torch::Tensor x;    ///< [N, C(res), res, res], float32 or the block's fp16
  torch::Tensor img;  ///< [N, img_channels, res, res] float32, undefined where the block has none
};

/// Block b{res}. in_channels == 0 marks b4 (constant input).
class SynthesisBlockImpl : public torch::nn::Module {
 public:
  SynthesisBlockImpl(const GeneratorOptions& options, int64_t in_channels, int64_t out_channels,
                     int64_t resolution, bool is_last);
  /// ws [N, num_conv + num_torgb, w_dim]. force_fp32 computes an fp16 block in float32.
  /// fused_modconv: nullopt = the reference's choice (fused in eval mode for fp32 or N = 1), and
  /// never fused in bf16. bf16 (fast mode, not the reference): x and the convolutions in bfloat16
  /// on any device; img stays float32 as in the reference's fp16 blocks.
  BlockOutput forward(const torch::Tensor& x, const torch::Tensor& img, const torch::Tensor& ws,
                      NoiseMode noise_mode, bool force_fp32 = false,
                      c10::optional<bool> fused_modconv = c10::nullopt, bool bf16 = false);

  int64_t in_channels, resolution, num_conv = 0, num_torgb = 0;
  bool is_last, use_fp16;
  Architecture architecture;
  torch::Tensor const_, resample_filter;  // "const" (b4 only), buffer "resample_filter"
  SynthesisLayer conv0{nullptr}, conv1{nullptr};
  ToRGBLayer torgb{nullptr};
  nn::Conv2dLayer skip{nullptr};
};
TORCH_MODULE(SynthesisBlock);

}  // namespace lagm::models::stylegan2

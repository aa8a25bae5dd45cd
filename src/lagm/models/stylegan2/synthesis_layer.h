// One modulated 3x3 convolution of a synthesis block, with noise and bias/activation.
#pragma once

#include <c10/util/Optional.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "lagm/models/noise_mode.h"
#include "lagm/nn/bias_act.h"
#include "lagm/nn/fully_connected_layer.h"
#include "lagm/nn/modulated_conv2d.h"

namespace lagm::models::stylegan2 {

/// Options for `SynthesisLayer`; defaults are the reference's.
struct SynthesisLayerOptions {
  SynthesisLayerOptions(int64_t in_channels, int64_t out_channels, int64_t w_dim,
                        int64_t resolution)
      : in_channels_(in_channels),
        out_channels_(out_channels),
        w_dim_(w_dim),
        resolution_(resolution) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, w_dim);
  TORCH_ARG(int64_t, resolution);
  TORCH_ARG(int64_t, up) = 1;  ///< 1 or 2
  TORCH_ARG(bool, use_noise) = true;
  TORCH_ARG(nn::Activation, activation) = nn::Activation::kLrelu;
  TORCH_ARG(c10::optional<double>, conv_clamp) = c10::nullopt;
};

/// x [N, I, R/up, R/up], w [N, w_dim] -> [N, O, R, R].
class SynthesisLayerImpl : public torch::nn::Module {
 public:
  explicit SynthesisLayerImpl(SynthesisLayerOptions options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, NoiseMode noise_mode,
                        bool fused, double gain = 1.0);

  SynthesisLayerOptions options;
  nn::FullyConnectedLayer affine{nullptr};  // "affine.weight", "affine.bias"
  torch::Tensor weight, noise_strength, bias, resample_filter, noise_const;

 private:
  nn::Bf16KernelCache bf16_kernel_;  // fast mode's kernel of a frozen generator, made once
};
TORCH_MODULE(SynthesisLayer);

/// Options for `ToRGBLayer`.
struct ToRGBLayerOptions {
  ToRGBLayerOptions(int64_t in_channels, int64_t out_channels, int64_t w_dim)
      : in_channels_(in_channels), out_channels_(out_channels), w_dim_(w_dim) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, w_dim);
  TORCH_ARG(c10::optional<double>, conv_clamp) = c10::nullopt;
};

/// Modulated 1x1 conv without demodulation. x [N, I, R, R] -> [N, 3, R, R].
class ToRGBLayerImpl : public torch::nn::Module {
 public:
  explicit ToRGBLayerImpl(ToRGBLayerOptions options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, bool fused);

  ToRGBLayerOptions options;
  nn::FullyConnectedLayer affine{nullptr};
  torch::Tensor weight, bias;

 private:
  double weight_gain_;
};
TORCH_MODULE(ToRGBLayer);

}  // namespace lagm::models::stylegan2

// Equalized-learning-rate convolution with optional FIR up/down-sampling, bias, activation and
// clamp; the resnet skip of G and the layers of D.
#pragma once

#include <c10/util/Optional.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "lagm/nn/bias_act.h"

namespace lagm::nn {

/// Options for `Conv2dLayer`; defaults are the reference's.
struct Conv2dLayerOptions {
  Conv2dLayerOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(Activation, activation) = Activation::kLinear;
  TORCH_ARG(int64_t, up) = 1;
  TORCH_ARG(int64_t, down) = 1;
  TORCH_ARG(c10::optional<double>, conv_clamp) = c10::nullopt;
};

/// x [N, in, H, W] -> [N, out, H*up/down, W*up/down].
class Conv2dLayerImpl : public torch::nn::Module {
 public:
  explicit Conv2dLayerImpl(Conv2dLayerOptions options);
  torch::Tensor forward(const torch::Tensor& x, double gain = 1.0);

  Conv2dLayerOptions options;
  torch::Tensor weight, bias,
      resample_filter;  // "weight", "bias" (if any), buffer "resample_filter"

 private:
  double weight_gain_;
};
TORCH_MODULE(Conv2dLayer);

}  // namespace lagm::nn

// Equalized-learning-rate fully connected layer.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "lagm/nn/bias_act.h"

namespace lagm::nn {

/// Options for `FullyConnectedLayer`; defaults are the reference's.
struct FullyConnectedLayerOptions {
  FullyConnectedLayerOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(Activation, activation) = Activation::kLinear;
  TORCH_ARG(double,
            lr_multiplier) = 1.0;  ///< weights stored as randn/lrm, used as weight*lrm/sqrt(in)
  TORCH_ARG(double, bias_init) = 0.0;
};

/// x [N, in] -> [N, out]: act(x (W lrm/sqrt(in))^T + b lrm) * gain.
class FullyConnectedLayerImpl : public torch::nn::Module {
 public:
  explicit FullyConnectedLayerImpl(FullyConnectedLayerOptions options);
  torch::Tensor forward(const torch::Tensor& x);

  FullyConnectedLayerOptions options;
  torch::Tensor weight, bias;  // "weight" [out, in], "bias" [out]

 private:
  double weight_gain_, bias_gain_;
};
TORCH_MODULE(FullyConnectedLayer);

}  // namespace lagm::nn

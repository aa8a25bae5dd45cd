#include "lagm/nn/fully_connected_layer.h"

#include <torch/torch.h>

#include <cmath>

namespace lagm::nn {

FullyConnectedLayerImpl::FullyConnectedLayerImpl(FullyConnectedLayerOptions options_)
    : options(options_) {
  weight =
      register_parameter("weight", torch::randn({options.out_features(), options.in_features()}) /
                                       options.lr_multiplier());
  if (options.bias())
    bias = register_parameter("bias", torch::full({options.out_features()}, options.bias_init()));
  weight_gain_ = options.lr_multiplier() / std::sqrt(static_cast<double>(options.in_features()));
  bias_gain_ = options.lr_multiplier();
}

torch::Tensor FullyConnectedLayerImpl::forward(const torch::Tensor& x) {
  auto w = (weight * weight_gain_).to(x.scalar_type());
  torch::Tensor b;
  if (bias.defined()) {
    b = bias.to(x.scalar_type());
    if (bias_gain_ != 1) b = b * bias_gain_;
  }
  if (options.activation() == Activation::kLinear && b.defined())
    return torch::addmm(b.unsqueeze(0), x, w.t());
  auto y = x.matmul(w.t());
  return bias_act(y, b, options.activation(), -1, c10::nullopt, 1);
}

}  // namespace lagm::nn

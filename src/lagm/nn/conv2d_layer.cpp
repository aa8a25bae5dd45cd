#include "lagm/nn/conv2d_layer.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/nn/conv2d_resample.h"
#include "lagm/nn/upfirdn2d.h"

namespace lagm::nn {

Conv2dLayerImpl::Conv2dLayerImpl(Conv2dLayerOptions options_) : options(options_) {
  const int64_t k = options.kernel_size();
  weight = register_parameter("weight",
                              torch::randn({options.out_channels(), options.in_channels(), k, k}));
  if (options.bias()) bias = register_parameter("bias", torch::zeros({options.out_channels()}));
  resample_filter = register_buffer("resample_filter", make_resample_filter());
  weight_gain_ = 1.0 / std::sqrt(static_cast<double>(options.in_channels() * k * k));
}

torch::Tensor Conv2dLayerImpl::forward(const torch::Tensor& x, double gain) {
  auto w = weight * weight_gain_;
  auto y = conv2d_resample(x, w.to(x.scalar_type()), resample_filter, options.up(), options.down(),
                           options.kernel_size() / 2, 1, /*flip_weight=*/options.up() == 1);
  const double act_gain = default_gain(options.activation()) * gain;
  c10::optional<double> clamp;
  if (options.conv_clamp()) clamp = *options.conv_clamp() * gain;
  return bias_act(y, bias.defined() ? bias.to(x.scalar_type()) : bias, options.activation(),
                  act_gain, clamp);
}

}  // namespace lagm::nn

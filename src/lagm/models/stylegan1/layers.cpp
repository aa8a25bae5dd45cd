#include "lagm/models/stylegan1/layers.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/nn/conv2d_resample.h"

namespace lagm::models::stylegan1 {
namespace F = torch::nn::functional;

MyLinearImpl::MyLinearImpl(int64_t in, int64_t out, double gain, double lrmul) {
  weight = register_parameter("weight", torch::randn({out, in}) / lrmul);
  bias = register_parameter("bias", torch::zeros({out}));
  w_mul_ = gain / std::sqrt(static_cast<double>(in)) * lrmul;
  b_mul_ = lrmul;
}

torch::Tensor MyLinearImpl::forward(const torch::Tensor& x) {
  return F::linear(x, weight * w_mul_, bias * b_mul_);
}

BlurImpl::BlurImpl() {
  auto k = torch::tensor({1.0f, 2.0f, 1.0f});
  kernel = register_buffer("kernel", (torch::outer(k, k) / 16).view({1, 1, 3, 3}));
}

torch::Tensor BlurImpl::forward(const torch::Tensor& x) {
  const int64_t c = x.size(1);
  return F::conv2d(x, kernel.expand({c, 1, 3, 3}), F::Conv2dFuncOptions().padding(1).groups(c));
}

MyConv2dImpl::MyConv2dImpl(int64_t in, int64_t out, int64_t k, double gain, bool upscale)
    : kernel_size_(k) {
  weight = register_parameter("weight", torch::randn({out, in, k, k}));
  bias = register_parameter("bias", torch::zeros({out}));
  if (upscale) intermediate = register_module("intermediate", Blur());
  w_mul_ = gain / std::sqrt(static_cast<double>(in * k * k));
}

torch::Tensor MyConv2dImpl::forward(const torch::Tensor& x) {
  auto w = weight * w_mul_;
  if (!intermediate)
    return F::conv2d(x, w, F::Conv2dFuncOptions().bias(bias).padding(kernel_size_ / 2));
  torch::Tensor y;
  if (2 * std::min(x.size(2), x.size(3)) >= 128) {
    // Fused: the 3x3 kernel, zero-padded to 5x5 and summed over its four 4x4 shifts, as a stride-2
    // transposed convolution.
    auto wt = F::pad(w.permute({1, 0, 2, 3}), F::PadFuncOptions({1, 1, 1, 1}));
    using torch::indexing::None;
    using torch::indexing::Slice;
    auto k4 = wt.index({Slice(), Slice(), Slice(1, None), Slice(1, None)}) +
              wt.index({Slice(), Slice(), Slice(None, -1), Slice(1, None)}) +
              wt.index({Slice(), Slice(), Slice(1, None), Slice(None, -1)}) +
              wt.index({Slice(), Slice(), Slice(None, -1), Slice(None, -1)});
    y = x.device().is_cpu()
            ? nn::conv_transpose2d_polyphase(x, k4, 2, 1)  // LibTorch's CPU path is slow
            : F::conv_transpose2d(x, k4, F::ConvTranspose2dFuncOptions().stride(2).padding(1));
  } else {
    auto up = x.repeat_interleave(2, 2).repeat_interleave(2, 3);  // nearest x2
    y = F::conv2d(up, w, F::Conv2dFuncOptions().padding(kernel_size_ / 2));
  }
  return intermediate->forward(y) + bias.view({1, -1, 1, 1});
}

NoiseLayerImpl::NoiseLayerImpl(int64_t channels) {
  weight = register_parameter("weight", torch::zeros({channels}));
}

torch::Tensor NoiseLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& noise) {
  if (!noise.defined()) return x;
  return x + weight.view({1, -1, 1, 1}) * noise;
}

StyleModImpl::StyleModImpl(int64_t latent_size, int64_t channels) {
  lin = register_module("lin", MyLinear(latent_size, 2 * channels, 1.0));
}

torch::Tensor StyleModImpl::forward(const torch::Tensor& x, const torch::Tensor& w) {
  auto style = lin->forward(w).view({x.size(0), 2, x.size(1), 1, 1});
  return x * (style.select(1, 0) + 1) + style.select(1, 1);
}

TopEpilogueImpl::TopEpilogueImpl(int64_t channels) {
  noise = register_module("noise", NoiseLayer(channels));
}

LayerEpilogueImpl::LayerEpilogueImpl(int64_t channels, int64_t latent_size) {
  top_epi = register_module("top_epi", TopEpilogue(channels));
  style_mod = register_module("style_mod", StyleMod(latent_size, channels));
}

torch::Tensor LayerEpilogueImpl::forward(const torch::Tensor& x, const torch::Tensor& w,
                                         const torch::Tensor& noise) {
  auto y = top_epi->noise->forward(x, noise);
  y = torch::leaky_relu(y, 0.2);
  y = F::instance_norm(y, F::InstanceNormFuncOptions().eps(1e-5));
  return style_mod->forward(y, w);
}

}  // namespace lagm::models::stylegan1

#include "lagm/nn/modulated_conv2d.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/core/squared.h"
#include "lagm/nn/conv2d_resample.h"

namespace lagm::nn {

namespace {

// Fast mode (bfloat16 activations; the generator never fuses there): the styles scale x and the
// demodulation and noise apply to the convolution's output, two elementwise passes around the
// convolution (LibTorch computes bfloat16 arithmetic in float32 per element and rounds once; the
// per-channel styles, coefficients and noise are rounded to bfloat16 first). The demodulation
// comes from sum_i,k (w_oik s_i)^2 = sum_i s_i^2 sum_k w_oik^2, one [N, I] x [I, O] product
// instead of the per-sample kernels [N, O, I, k, k], whose products, squares, casts and flips took
// half of the generator's time in bfloat16 (another summation order than the reference's, which
// exact mode keeps); scaling, demodulating and adding noise in float32, with casts each way,
// took as long as the convolutions at 128 px.
Bf16Kernel bf16_kernel_of(const torch::Tensor& weight) {
  return {weight.to(torch::kBFloat16), core::squared(weight).sum({2, 3})};
}

torch::Tensor input_scaled_in_bf16(const torch::Tensor& x, const Bf16Kernel& kernel,
                                   const torch::Tensor& styles, const torch::Tensor& noise,
                                   const torch::Tensor& f, const ModulatedConv2dOptions& o) {
  const int64_t n = x.size(0);
  const auto bf16 = [](const torch::Tensor& t) { return t.to(torch::kBFloat16); };
  auto y = x * bf16(styles).view({n, -1, 1, 1});
  y = conv2d_resample(y, kernel.weight, f, o.up, 1, o.padding, 1, o.flip_weight);
  if (o.demodulate) {
    const auto dcoefs =
        bf16((core::squared(styles).matmul(kernel.squared_sums.t()) + 1e-8).rsqrt());
    return noise.defined() ? torch::addcmul(bf16(noise), y, dcoefs.view({n, -1, 1, 1}))
                           : y * dcoefs.view({n, -1, 1, 1});
  }
  return noise.defined() ? y + bf16(noise) : y;
}

}  // namespace

const Bf16Kernel* Bf16KernelCache::get(const torch::Tensor& weight, bool channels_last) {
  if (weight.requires_grad() && torch::GradMode::is_enabled()) return nullptr;
  const void* source = weight.unsafeGetTensorImpl();
  const void* data = weight.data_ptr();
  const uint32_t version = weight._version();
  if (!kernel_.weight.defined() || source != source_ || data != data_ || version != version_ ||
      channels_last != channels_last_) {
    torch::NoGradGuard no_grad;
    kernel_ = bf16_kernel_of(weight);
    if (channels_last)
      kernel_.weight = kernel_.weight.contiguous(torch::MemoryFormat::ChannelsLast);
    source_ = source;
    data_ = data;
    version_ = version;
    channels_last_ = channels_last;
  }
  return &kernel_;
}

torch::Tensor modulated_conv2d(const torch::Tensor& x_in, const torch::Tensor& weight_in,
                               const torch::Tensor& styles_in, const torch::Tensor& noise,
                               const torch::Tensor& f, const ModulatedConv2dOptions& o,
                               const Bf16Kernel* bf16_kernel) {
  const int64_t n = x_in.size(0);
  const int64_t in_ch = weight_in.size(1), kh = weight_in.size(2), kw = weight_in.size(3);
  TORCH_CHECK(styles_in.sizes() == torch::IntArrayRef({n, in_ch}),
              "modulated_conv2d: styles must be [N, I]");
  const auto& x = x_in;
  auto weight = weight_in;
  auto styles = styles_in;
  // fp16 pre-normalisation keeps the modulated weights in range; demodulation cancels it exactly
  // except inside the 1e-8 epsilon.
  if (x.scalar_type() == torch::kFloat16 && o.demodulate) {
    weight = weight * (1.0 / std::sqrt(static_cast<double>(in_ch * kh * kw)) /
                       weight.abs().amax({1, 2, 3}, /*keepdim=*/true));
    styles = styles / styles.abs().amax(1, /*keepdim=*/true);
  }

  if (!o.fused && x.scalar_type() == torch::kBFloat16)
    return input_scaled_in_bf16(x, bf16_kernel ? *bf16_kernel : bf16_kernel_of(weight), styles,
                                noise, f, o);
  torch::Tensor w, dcoefs;
  if (o.demodulate || o.fused) {
    w = weight.unsqueeze(0) * styles.view({n, 1, -1, 1, 1});  // [N, O, I, k, k]
  }
  if (o.demodulate) dcoefs = (core::squared(w).sum({2, 3, 4}) + 1e-8).rsqrt();  // [N, O]
  if (o.demodulate && o.fused) w = w * dcoefs.view({n, -1, 1, 1, 1});

  if (!o.fused) {
    auto y = x * styles.to(x.scalar_type()).view({n, -1, 1, 1});
    y = conv2d_resample(y, weight.to(x.scalar_type()), f, o.up, 1, o.padding, 1, o.flip_weight);
    if (o.demodulate && noise.defined())
      return torch::addcmul(noise.to(x.scalar_type()), y,
                            dcoefs.to(x.scalar_type()).view({n, -1, 1, 1}));
    if (o.demodulate) return y * dcoefs.to(x.scalar_type()).view({n, -1, 1, 1});
    if (noise.defined()) return y + noise.to(x.scalar_type());
    return y;
  }
  // Fused: fold the batch into groups so each sample convolves with its own kernel.
  auto xg = x.reshape({1, -1, x.size(2), x.size(3)});
  auto wg = w.reshape({-1, in_ch, kh, kw}).to(x.scalar_type());
  auto y = conv2d_resample(xg, wg, f, o.up, 1, o.padding, n, o.flip_weight);
  y = y.reshape({n, -1, y.size(2), y.size(3)});
  if (noise.defined()) y = y + noise.to(y.scalar_type());
  return y;
}

}  // namespace lagm::nn

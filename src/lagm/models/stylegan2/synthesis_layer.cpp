#include "lagm/models/stylegan2/synthesis_layer.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/models/noise_share.h"
#include "lagm/nn/modulated_conv2d.h"
#include "lagm/nn/upfirdn2d.h"

namespace lagm::models::stylegan2 {

SynthesisLayerImpl::SynthesisLayerImpl(SynthesisLayerOptions options_) : options(options_) {
  // Registration order = the reference's state-dict order: weight, noise_strength, bias,
  // resample_filter, noise_const, then affine.
  weight = register_parameter("weight",
                              torch::randn({options.out_channels(), options.in_channels(), 3, 3}));
  if (options.use_noise()) noise_strength = register_parameter("noise_strength", torch::zeros({}));
  bias = register_parameter("bias", torch::zeros({options.out_channels()}));
  resample_filter = register_buffer("resample_filter", nn::make_resample_filter());
  if (options.use_noise())
    noise_const =
        register_buffer("noise_const", torch::randn({options.resolution(), options.resolution()}));
  affine = register_module(
      "affine",
      nn::FullyConnectedLayer(
          nn::FullyConnectedLayerOptions(options.w_dim(), options.in_channels()).bias_init(1.0)));
}

torch::Tensor SynthesisLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& w,
                                          NoiseMode noise_mode, bool fused, double gain) {
  const int64_t r = options.resolution() / options.up();
  TORCH_CHECK(
      x.dim() == 4 && x.size(1) == options.in_channels() && x.size(2) == r && x.size(3) == r,
      "SynthesisLayer.x must be [N, ", options.in_channels(), ", ", r, ", ", r, "], got ",
      x.sizes());
  auto styles = affine->forward(w);
  torch::Tensor noise;
  if (options.use_noise() && noise_mode == NoiseMode::kRandom)
    noise = random_noise(x.size(0), options.resolution(), x.options().dtype(torch::kFloat32)) *
            noise_strength;
  if (options.use_noise() && noise_mode == NoiseMode::kConst) noise = noise_const * noise_strength;

  nn::ModulatedConv2dOptions mo;
  mo.up = options.up();
  mo.padding = 1;
  mo.flip_weight = options.up() == 1;
  mo.fused = fused;
  // A layer without up-sampling convolves its channels-last input with the weight as it is (the
  // up-sampling one gathers its polyphase kernels from the plain layout).
  const nn::Bf16Kernel* kernel = x.scalar_type() == torch::kBFloat16 && !fused
                                     ? bf16_kernel_.get(weight, options.up() == 1)
                                     : nullptr;
  auto y = nn::modulated_conv2d(x, weight, styles, noise, resample_filter, mo, kernel);
  const double act_gain = nn::default_gain(options.activation()) * gain;
  c10::optional<double> clamp;
  if (options.conv_clamp()) clamp = *options.conv_clamp() * gain;
  return nn::bias_act(y, bias.to(y.scalar_type()), options.activation(), act_gain, clamp);
}

ToRGBLayerImpl::ToRGBLayerImpl(ToRGBLayerOptions options_) : options(options_) {
  weight = register_parameter("weight",
                              torch::randn({options.out_channels(), options.in_channels(), 1, 1}));
  bias = register_parameter("bias", torch::zeros({options.out_channels()}));
  affine = register_module(
      "affine",
      nn::FullyConnectedLayer(
          nn::FullyConnectedLayerOptions(options.w_dim(), options.in_channels()).bias_init(1.0)));
  weight_gain_ = 1.0 / std::sqrt(static_cast<double>(options.in_channels()));
}

torch::Tensor ToRGBLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& w, bool fused) {
  auto styles = affine->forward(w) * weight_gain_;
  nn::ModulatedConv2dOptions mo;
  mo.demodulate = false;
  mo.fused = fused;
  auto y = nn::modulated_conv2d(x, weight, styles, torch::Tensor(), torch::Tensor(), mo);
  return nn::bias_act(y, bias.to(y.scalar_type()), nn::Activation::kLinear, 1.0,
                      options.conv_clamp());
}

}  // namespace lagm::models::stylegan2

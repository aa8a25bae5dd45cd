// Building blocks of the StyleGAN1 port DatasetGAN uses: equalized-lr linear
// and conv layers (the up-sampling conv with its two paths), blur, noise, style modulation and the
// layer epilogue. Names equal the reference state dict (`dense0`, `conv0_up.intermediate.kernel`,
// `epi1.top_epi.noise.weight`, `epi1.style_mod.lin.weight`, ...).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace lagm::models::stylegan1 {

/// y = x (W gain/sqrt(in) lrmul)^T + b lrmul.
class MyLinearImpl : public torch::nn::Module {
 public:
  MyLinearImpl(int64_t in, int64_t out, double gain, double lrmul = 1.0);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;

 private:
  double w_mul_, b_mul_;
};
TORCH_MODULE(MyLinear);

/// Depthwise [1,2,1] x [1,2,1] / 16 blur with zero padding 1; buffer "kernel" [1, 1, 3, 3].
class BlurImpl : public torch::nn::Module {
 public:
  BlurImpl();
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor kernel;
};
TORCH_MODULE(Blur);

/// Equalized-lr conv, optionally up-sampling x2 then blurring (conv0_up). Below 128 px output the
/// up-sampling is nearest then conv; from 128 px on it is the "fused" transposed conv with the
/// 4x4 summed kernel. The two differ by a spatial flip of the weight, as the TF original does.
class MyConv2dImpl : public torch::nn::Module {
 public:
  MyConv2dImpl(int64_t in, int64_t out, int64_t kernel_size, double gain, bool upscale = false);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
  Blur intermediate{nullptr};  // only with upscale

 private:
  int64_t kernel_size_;
  double w_mul_;
};
TORCH_MODULE(MyConv2d);

/// x + weight[c] * noise, noise [N, 1, H, W].
class NoiseLayerImpl : public torch::nn::Module {
 public:
  explicit NoiseLayerImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noise);
  torch::Tensor weight;
};
TORCH_MODULE(NoiseLayer);

/// x * (s0 + 1) + s1 with [s0, s1] = lin(w), lin = MyLinear(512, 2C, gain 1).
class StyleModImpl : public torch::nn::Module {
 public:
  StyleModImpl(int64_t latent_size, int64_t channels);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w);
  MyLinear lin{nullptr};
};
TORCH_MODULE(StyleMod);

/// Holder named "top_epi" in the reference: its child "noise".
class TopEpilogueImpl : public torch::nn::Module {
 public:
  explicit TopEpilogueImpl(int64_t channels);
  NoiseLayer noise{nullptr};
};
TORCH_MODULE(TopEpilogue);

/// noise -> LeakyReLU(0.2) -> InstanceNorm (eps 1e-5) -> style modulation.
class LayerEpilogueImpl : public torch::nn::Module {
 public:
  LayerEpilogueImpl(int64_t channels, int64_t latent_size);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& noise);
  TopEpilogue top_epi{nullptr};
  StyleMod style_mod{nullptr};
};
TORCH_MODULE(LayerEpilogue);

}  // namespace lagm::models::stylegan1

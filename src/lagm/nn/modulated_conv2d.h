// Modulated convolution with optional demodulation: the StyleGAN2 layer that
// scales the kernel's input channels by per-sample styles.
#pragma once

#include <torch/types.h>

namespace lagm::nn {

/// Options of `modulated_conv2d`; defaults are the reference's.
struct ModulatedConv2dOptions {
  int64_t up = 1;
  int64_t padding = 0;
  bool demodulate = true;
  bool flip_weight = true;
  bool fused = true;  ///< grouped conv with per-sample kernels (eval) vs input scaling (training)
};

/// x [N, I, H, W], weight [O, I, k, k], styles [N, I], noise broadcastable to the output or
/// undefined, f the FIR filter for up = 2. Returns [N, O, H*up, W*up].
torch::Tensor modulated_conv2d(const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& styles, const torch::Tensor& noise,
                               const torch::Tensor& f, const ModulatedConv2dOptions& options);

}  // namespace lagm::nn

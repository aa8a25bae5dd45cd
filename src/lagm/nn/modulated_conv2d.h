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

/// What fast mode's unfused path derives from the weight alone: the weight in bfloat16 and
/// sum_k w_oik^2 [O, I] (the demodulation's kernel part).
struct Bf16Kernel {
  torch::Tensor weight;
  torch::Tensor squared_sums;
};

/// The Bf16Kernel of a weight that does not change between calls, made once and again only when
/// the weight is replaced, moved or written to (its storage and version counter). A weight that
/// autograd is recording (requires grad, grad mode on) gets none: its cast must stay in the graph.
class Bf16KernelCache {
 public:
  /// nullptr where the weight is being trained. `channels_last`: the bfloat16 weight in that
  /// layout, for a convolution of channels-last inputs (which would otherwise copy it per call).
  const Bf16Kernel* get(const torch::Tensor& weight, bool channels_last);

 private:
  Bf16Kernel kernel_;
  const void* source_ = nullptr;
  const void* data_ = nullptr;
  uint32_t version_ = 0;
  bool channels_last_ = false;
};

/// x [N, I, H, W], weight [O, I, k, k], styles [N, I], noise broadcastable to the output or
/// undefined, f the FIR filter for up = 2. Returns [N, O, H*up, W*up]. `bf16_kernel`, where given,
/// is the weight's Bf16Kernel, for fast mode's unfused path (x bfloat16) to use instead of
/// deriving it again.
torch::Tensor modulated_conv2d(const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& styles, const torch::Tensor& noise,
                               const torch::Tensor& f, const ModulatedConv2dOptions& options,
                               const Bf16Kernel* bf16_kernel = nullptr);

}  // namespace lagm::nn

// Fast-mode tools of a training step: bfloat16 autocast of forward passes and channels-last
// storage of convolution weights. Both are off in exact mode (the reference's fp32 NCHW).
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>

namespace lagm::train {

/// How a training step or synthesis computes: kExact is the reference's float32 (the default, and
/// what the golden cases check); kBf16 is the fast mode: bfloat16 autocast and channels-last
/// storage where they pay and work (see where each caller applies them).
enum class Precision { kExact, kBf16 };

/// "fp32" (exact) or "bf16"; anything else is an InputError naming `where`.
Precision parse_precision(const std::string& name, const std::string& where);
/// The name parse_precision reads.
std::string precision_name(Precision precision);

/// bfloat16 autocast of the forward passes inside its scope, on the CPU or a CUDA device; does
/// nothing when constructed with on = false. Losses should be computed in float32 after it ends.
class Bf16Autocast {
 public:
  Bf16Autocast(bool on, torch::Device device);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool on_, cuda_;
};

/// Stores the 4-D parameters and buffers of `module` channels-last (same values, NHWC strides).
void to_channels_last(torch::nn::Module& module);

}  // namespace lagm::train

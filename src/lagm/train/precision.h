// Fast-mode tools of a training step: bfloat16 autocast of forward passes and channels-last
// storage of convolution weights. Both are off in exact mode (the reference's fp32 NCHW).
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

namespace lagm::train {

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

// Small pieces of training state shared by the phase-I and phase-II trainers: parameter names in
// registration order (the key of optimizer state), the process RNG state of a device, and
// snapshots of the random streams and a module's buffers to put back after extra passes.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "lagm/core/tensor_dict.h"

namespace lagm::train {

/// Names of `module`'s parameters, in the order of `module.parameters()`.
std::vector<std::string> parameter_names(const torch::nn::Module& module);

/// State of the default generator of `device` (CPU, or CUDA for random noise/dropout there).
torch::Tensor rng_state(torch::Device device);
/// Restores it; the default generator is a shared handle, so this sets the process-wide stream.
void set_rng_state(torch::Device device, const torch::Tensor& state);

/// Every trainer's RNG entries in a saved state: "rng.cpu", and "rng.device" when training on an
/// accelerator (random noise, dropout and augmentations drawn there).
void save_rng_states(core::TensorDict& state, torch::Device device);
/// Restores what save_rng_states wrote: the CPU stream, and on an accelerator its stream when the
/// state holds one ("rng.cuda" in phase-I snapshots of earlier versions); a state saved on the CPU
/// resumes on a device with the device stream as it is.
void restore_rng_states(const core::TensorDict& state, torch::Device device);

/// The random streams as they are now (the CPU's, and `device`'s on an accelerator); restore()
/// puts them back, e.g. so that a second pass over a batch draws the first pass's dropout.
class RandomStreams {
 public:
  explicit RandomStreams(torch::Device device);
  void restore() const;

 private:
  torch::Device device_;
  torch::Tensor cpu_, device_state_;
};

/// Copies of `module`'s buffers (BatchNorm statistics) as they are now; restore() writes them back
/// in place, e.g. so that passes run only to compute a gradient leave the statistics alone.
class BufferSnapshot {
 public:
  explicit BufferSnapshot(torch::nn::Module& module);
  void restore() const;

 private:
  torch::nn::Module& module_;
  std::vector<torch::Tensor> buffers_;
};

}  // namespace lagm::train

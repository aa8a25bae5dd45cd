// Small pieces of training state shared by the phase-I and phase-II trainers: parameter names in
// registration order (the key of optimizer state) and the process RNG state of a device.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace lagm::method {

/// Names of `module`'s parameters, in the order of `module.parameters()`.
std::vector<std::string> parameter_names(const torch::nn::Module& module);

/// State of the default generator of `device` (CPU, or CUDA for random noise/dropout there).
torch::Tensor rng_state(torch::Device device);
/// Restores it; the default generator is a shared handle, so this sets the process-wide stream.
void set_rng_state(torch::Device device, const torch::Tensor& state);

}  // namespace lagm::method

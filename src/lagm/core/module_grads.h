// Gradient bookkeeping on a whole module, shared by every trainer.
#pragma once

#include <torch/nn/module.h>

namespace lagm::core {

/// Sets requires_grad on every parameter of `module`.
void set_requires_grad(torch::nn::Module& module, bool on);

/// Drops every parameter's gradient, as PyTorch's zero_grad(set_to_none=True); LibTorch 1.13's
/// Optimizer::zero_grad() zeroes them instead, which keeps second-order leftovers allocated.
void clear_grads(torch::nn::Module& module);

/// The reference's nan_to_num_(nan=0, posinf=1e5, neginf=-1e5) on every gradient before a step.
void nan_to_num_grads(torch::nn::Module& module);

}  // namespace lagm::core

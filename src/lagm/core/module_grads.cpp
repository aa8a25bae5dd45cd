#include "lagm/core/module_grads.h"

#include <torch/torch.h>

namespace lagm::core {

void set_requires_grad(torch::nn::Module& module, bool on) {
  for (auto& p : module.parameters()) p.set_requires_grad(on);
}

void clear_grads(torch::nn::Module& module) {
  for (auto& p : module.parameters()) p.mutable_grad().reset();
}

void nan_to_num_grads(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.grad().defined()) p.mutable_grad().nan_to_num_(0.0, 1e5, -1e5);
}

}  // namespace lagm::core

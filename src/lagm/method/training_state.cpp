#include "lagm/method/training_state.h"

#include <torch/torch.h>

namespace lagm::method {

std::vector<std::string> parameter_names(const torch::nn::Module& module) {
  std::vector<std::string> names;
  for (const auto& p : module.named_parameters()) names.push_back(p.key());
  return names;
}

torch::Tensor rng_state(torch::Device device) { return at::globalContext().defaultGenerator(device).get_state(); }

void set_rng_state(torch::Device device, const torch::Tensor& state) {
  at::Generator gen = at::globalContext().defaultGenerator(device);
  gen.set_state(state);
}

}  // namespace lagm::method

#include "lagm/train/training_state.h"

#include <torch/torch.h>

namespace lagm::train {

std::vector<std::string> parameter_names(const torch::nn::Module& module) {
  std::vector<std::string> names;
  for (const auto& p : module.named_parameters()) names.push_back(p.key());
  return names;
}

torch::Tensor rng_state(torch::Device device) {
  return at::globalContext().defaultGenerator(device).get_state();
}

void set_rng_state(torch::Device device, const torch::Tensor& state) {
  at::Generator gen = at::globalContext().defaultGenerator(device);
  gen.set_state(state);
}

void save_rng_states(core::TensorDict& state, torch::Device device) {
  state.set("rng.cpu", rng_state(torch::kCPU));
  if (!device.is_cpu()) state.set("rng.device", rng_state(device));
}

void restore_rng_states(const core::TensorDict& state, torch::Device device) {
  set_rng_state(torch::kCPU, state.at("rng.cpu"));
  if (device.is_cpu()) return;
  for (const char* name : {"rng.device", "rng.cuda"})
    if (state.contains(name)) return set_rng_state(device, state.at(name));
}

RandomStreams::RandomStreams(torch::Device device) : device_(device), cpu_(rng_state(torch::kCPU)) {
  if (!device_.is_cpu()) device_state_ = rng_state(device_);
}

void RandomStreams::restore() const {
  set_rng_state(torch::kCPU, cpu_);
  if (device_state_.defined()) set_rng_state(device_, device_state_);
}

BufferSnapshot::BufferSnapshot(torch::nn::Module& module) : module_(module) {
  for (const auto& b : module_.buffers()) buffers_.push_back(b.clone());
}

void BufferSnapshot::restore() const {
  torch::NoGradGuard no_grad;
  const auto buffers = module_.buffers();
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(buffers_[i]);
}

}  // namespace lagm::train

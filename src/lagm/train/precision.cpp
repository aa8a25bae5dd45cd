#include "lagm/train/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include "lagm/core/error.h"

namespace lagm::train {

Precision parse_precision(const std::string& name, const std::string& where) {
  if (name == "fp32") return Precision::kExact;
  if (name == "bf16") return Precision::kBf16;
  throw InputError(where + ": precision must be fp32 or bf16, got '" + name + "'");
}

std::string precision_name(Precision precision) {
  return precision == Precision::kBf16 ? "bf16" : "fp32";
}

Bf16Autocast::Bf16Autocast(bool on, torch::Device device) : on_(on), cuda_(device.is_cuda()) {
  if (!on_) return;
  if (cuda_) {
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
}

Bf16Autocast::~Bf16Autocast() {
  if (!on_) return;
  if (cuda_)
    at::autocast::set_enabled(false);
  else
    at::autocast::set_cpu_enabled(false);
  at::autocast::clear_cache();
}

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  for (auto& b : module.buffers())
    if (b.dim() == 4) b.set_data(b.contiguous(at::MemoryFormat::ChannelsLast));
}

}  // namespace lagm::train

#include "lagm/core/state_dict.h"

#include <torch/torch.h>

#include <sstream>

#include "lagm/core/error.h"

namespace lagm::core {
namespace {

void collect(const torch::nn::Module& module, const std::string& prefix, TensorDict& out) {
  for (const auto& p : module.named_parameters(/*recurse=*/false))
    if (p.value().defined()) out.set(prefix + p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/false))
    if (b.value().defined()) out.set(prefix + b.key(), b.value());
  for (const auto& child : module.named_children())
    collect(*child.value(), prefix + child.key() + ".", out);
}

std::string join_limited(const std::vector<std::string>& items, size_t limit) {
  std::ostringstream out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out << (i ? ", " : "") << items[i];
  if (items.size() > limit) out << ", ... (" << items.size() - limit << " more)";
  return out.str();
}

}  // namespace

TensorDict state_dict(const torch::nn::Module& module) {
  TensorDict out;
  out.source = module.name();
  collect(module, "", out);
  return out;
}

std::vector<std::string> load_state_dict(torch::nn::Module& module, const TensorDict& tensors,
                                         LoadOptions options) {
  TensorDict own = state_dict(module);
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, target] : own.items()) {
    if (!tensors.contains(name)) {
      missing.push_back(name);
      continue;
    }
    const auto& source = tensors.at(name);
    if (source.sizes() != target.sizes())
      mismatched.push_back(format_mismatch("'" + name + "'", "shape",
                                           format_shape(source.sizes().vec()),
                                           format_shape(target.sizes().vec())));
  }
  for (const auto& [name, tensor] : tensors.items())
    if (!own.contains(name)) unexpected.push_back(name);

  std::vector<std::string> problems;
  if (!mismatched.empty()) problems.push_back("shape mismatch: " + join_limited(mismatched, 20));
  if (options.strict && !missing.empty())
    problems.push_back("missing keys: " + join_limited(missing, 20));
  if (options.strict && !unexpected.empty())
    problems.push_back("unexpected keys: " + join_limited(unexpected, 20));
  if (!problems.empty()) {
    std::string message = tensors.source + ": state dict does not fit " + module.name() + ": ";
    for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    throw InputError(message);
  }

  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : own.items()) {
    if (!tensors.contains(name)) continue;
    auto t = target;  // shares storage with the module's tensor
    t.copy_(tensors.at(name));
  }
  return missing;
}

}  // namespace lagm::core

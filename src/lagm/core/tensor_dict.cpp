#include "lagm/core/tensor_dict.h"

#include <ATen/ATen.h>

#include "lagm/core/error.h"

namespace lagm::core {

void TensorDict::set(const std::string& name, torch::Tensor tensor) {
  auto it = index_.find(name);
  if (it != index_.end()) {
    items_[it->second].second = std::move(tensor);
    return;
  }
  index_.emplace(name, items_.size());
  items_.emplace_back(name, std::move(tensor));
}

const torch::Tensor& TensorDict::at(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw InputError(source + ": no tensor named '" + name + "'");
  return items_[it->second].second;
}

void TensorDict::update(const TensorDict& other, const std::string& prefix) {
  for (const auto& [name, tensor] : other.items_) set(prefix + name, tensor);
}

void TensorDict::require_finite() const {
  for (const auto& [name, t] : items_) {
    if (!t.is_floating_point()) continue;
    if (!torch::isfinite(t).all().item<bool>())
      throw InputError(source + ": tensor '" + name +
                       "' holds non-finite values (NaN or infinity)");
  }
}

TensorDict TensorDict::with_prefix_stripped(const std::string& prefix) const {
  TensorDict out;
  out.source = source;
  for (const auto& [name, tensor] : items_)
    if (name.compare(0, prefix.size(), prefix) == 0) out.set(name.substr(prefix.size()), tensor);
  return out;
}

}  // namespace lagm::core

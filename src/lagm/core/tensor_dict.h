// An ordered name -> tensor map: the in-memory form of a state dict or a tensor file.
#pragma once

#include <torch/types.h>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lagm::core {

/// Tensors by name, in insertion order (state-dict order when built from a module).
class TensorDict {
 public:
  /// Adds or replaces `name`; a new name goes to the end.
  void set(const std::string& name, torch::Tensor tensor);
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  /// The tensor called `name`; throws InputError naming `source` and the key when absent.
  const torch::Tensor& at(const std::string& name) const;
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const std::vector<std::pair<std::string, torch::Tensor>>& items() const& { return items_; }
  /// Deleted: iterating a temporary's items would dangle (`for (auto& x : make().items())`).
  void items() && = delete;
  /// Adds every entry of `other`, its names prefixed with `prefix` ("A." + name).
  void update(const TensorDict& other, const std::string& prefix = "");
  /// The entries whose names start with `prefix`, with the prefix removed ("G." -> generator).
  TensorDict with_prefix_stripped(const std::string& prefix) const;
  /// Throws InputError naming `source` and the first tensor holding NaN or infinity. Loaders of
  /// weights call it: a checkpoint with NaN weights otherwise yields black images and exit 0.
  void require_finite() const;
  /// Where these tensors came from (a file name); used in error messages.
  std::string source = "<memory>";

 private:
  std::vector<std::pair<std::string, torch::Tensor>> items_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace lagm::core

// State dicts: a module's parameters and buffers by reference name (PyTorch `state_dict()` order),
// and binding a TensorDict to a module by name with every mismatch reported at once.
#pragma once

#include <torch/nn/module.h>

#include "lagm/core/tensor_dict.h"

namespace lagm::core {

/// The module's parameters and buffers in PyTorch `state_dict()` order: at each module its own
/// parameters, then its own buffers, then its children recursively. Tensors are shared, not copied.
TensorDict state_dict(const torch::nn::Module& module);

/// Options for `load_state_dict`.
struct LoadOptions {
  bool strict = true;  ///< missing or unexpected keys are errors (shape mismatches always are)
};

/// Copies `tensors` into the module's parameters and buffers by name (dtype converted, device
/// kept). Throws InputError listing every missing key, unexpected key and shape mismatch, prefixed
/// with `tensors.source`. Returns the names of the module's entries that were not in `tensors`.
std::vector<std::string> load_state_dict(torch::nn::Module& module, const TensorDict& tensors,
                                         LoadOptions options = {});

}  // namespace lagm::core

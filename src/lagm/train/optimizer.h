// Optimizers of A and S (SGD with momentum, the reference's; Adam, its `--opt adam`) and their
// state as named tensors, so snapshots can hold it and resume continues bit for bit.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/core/tensor_dict.h"

namespace lagm::train {

/// JSON: {"kind": "sgd", "lr": 0.001, "momentum": 0.9} or {"kind": "adam", "lr": 0.001, "betas":
/// [0.9, 0.999]}.
enum class OptimizerKind { kSgd, kAdam };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::kSgd;
  double lr = 1e-3;
  double momentum = 0.9;                          ///< sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  ///< adam
  double weight_decay = 0;
};

OptimizerConfig optimizer_config_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const OptimizerConfig& c);

/// Builds the optimizer over `params` (PyTorch semantics: SGD momentum buffer = grad on the first
/// step).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& config,
                                                        const std::vector<torch::Tensor>& params);

/// Per-parameter state as tensors "<prefix><param name>.<field>" (momentum_buffer; step, exp_avg,
/// exp_avg_sq). `names[i]` names `params[i]` of the optimizer's single group.
core::TensorDict optimizer_state(torch::optim::Optimizer& optimizer, const OptimizerConfig& config,
                                 const std::vector<std::string>& names, const std::string& prefix);
/// Restores what `optimizer_state` wrote (missing entries = fresh state for that parameter).
void load_optimizer_state(torch::optim::Optimizer& optimizer, const OptimizerConfig& config,
                          const std::vector<std::string>& names, const core::TensorDict& tensors,
                          const std::string& prefix);

}  // namespace lagm::train

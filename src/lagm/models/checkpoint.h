// Self-describing model checkpoints: a safetensors file whose `__metadata__` holds,
// under key "lagm", a JSON object {"kind": ..., "config": {...}} with the module's full constructor
// configuration, so loaders need no side files and `lagm info` shows what a file is.
#pragma once

#include <torch/nn/module.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/core/tensor_dict.h"

namespace lagm::models {

/// A checkpoint read back: kind, configuration and tensors (reference state-dict names).
struct ModelCheckpoint {
  std::string path;
  std::string kind;       ///< "stylegan2", "stylegan1", "fpn", "unet", "deeplabv3_resnet101", ...
  nlohmann::json config;  ///< the kind's constructor configuration
  nlohmann::json extra;   ///< anything else stored beside it (e.g. sampling settings)
  core::TensorDict tensors;
};

/// Reads and validates the "lagm" metadata; throws InputError("<path>: ...") when it is missing.
ModelCheckpoint read_model_checkpoint(const std::string& path);

/// Writes `module`'s state dict with {kind, config, extra} metadata, atomically.
void write_model_checkpoint(const std::string& path, const std::string& kind,
                            const nlohmann::json& config, const torch::nn::Module& module,
                            const nlohmann::json& extra = nlohmann::json::object());

/// Metadata map for a checkpoint of `kind` (for writers that assemble tensors themselves).
std::map<std::string, std::string> checkpoint_metadata(
    const std::string& kind, const nlohmann::json& config,
    const nlohmann::json& extra = nlohmann::json::object());

}  // namespace lagm::models

#include "lagm/models/checkpoint.h"

#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"

namespace lagm::models {

ModelCheckpoint read_model_checkpoint(const std::string& path) {
  auto file = core::read_safetensors(path);
  auto it = file.metadata.find("lagm");
  if (it == file.metadata.end())
    throw InputError(
        path + ": no 'lagm' metadata; not a lagm checkpoint (convert it with tools/convert_*.py)");
  auto meta = nlohmann::json::parse(it->second, nullptr, false);
  if (meta.is_discarded() || !meta.is_object() || !meta.contains("kind") ||
      !meta["kind"].is_string() || !meta.contains("config") || !meta["config"].is_object())
    throw InputError(
        path + ": 'lagm' metadata must be a JSON object with string 'kind' and object 'config'");
  ModelCheckpoint ckpt;
  ckpt.path = path;
  ckpt.kind = meta["kind"].get<std::string>();
  ckpt.config = meta["config"];
  ckpt.extra = meta.value("extra", nlohmann::json::object());
  ckpt.tensors = std::move(file.tensors);
  ckpt.tensors.source = path;
  ckpt.tensors.require_finite();
  return ckpt;
}

std::map<std::string, std::string> checkpoint_metadata(const std::string& kind,
                                                       const nlohmann::json& config,
                                                       const nlohmann::json& extra) {
  nlohmann::json meta = {{"kind", kind}, {"config", config}};
  if (!extra.empty()) meta["extra"] = extra;
  return {{"lagm", meta.dump()}, {"format", "pt"}};
}

void write_model_checkpoint(const std::string& path, const std::string& kind,
                            const nlohmann::json& config, const torch::nn::Module& module,
                            const nlohmann::json& extra) {
  core::write_safetensors(path, core::state_dict(module), checkpoint_metadata(kind, config, extra));
}

}  // namespace lagm::models

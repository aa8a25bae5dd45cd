#include "lagm/annotator/segmenter_checkpoint.h"

#include <torch/torch.h>

#include <filesystem>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/models/checkpoint.h"

namespace lagm::annotator {

namespace {

// Why a .safetensors file is no segmenter lagm can load, in the user's terms.
std::string not_a_segmenter(const std::string& path, const std::string& kind) {
  if (!kind.empty()) return "holds a " + kind + ", not a segmenter";
  // `lagm export` writes the weights under PyTorch's names, with model.json beside them.
  const auto manifest = std::filesystem::path(path).parent_path() / "model.json";
  std::error_code ec;
  if (std::filesystem::exists(manifest, ec))
    return "a network exported for PyTorch (lagm export); lagm reads the checkpoint it was "
           "exported from";
  return "not a lagm checkpoint (no lagm metadata)";
}

}  // namespace

LoadedSegmenter load_segmenter(const std::string& path) {
  const auto header = core::read_safetensors_header(path);
  auto it = header.metadata.find("lagm");
  const auto meta = it == header.metadata.end() ? nlohmann::json()
                                                : nlohmann::json::parse(it->second, nullptr, false);
  const std::string kind = meta.is_object() ? meta.value("kind", "") : "";
  LoadedSegmenter out;
  if (kind == "annotator_snapshot") {
    const auto snap = read_snapshot(path);
    out.segmenter = std::make_unique<models::Segmenter>(load_snapshot_segmenter(snap));
    out.class_names = snap.info.class_names;
    out.description = models::model_description_from_json(
        snap.info.description, out.class_names, out.segmenter->config().num_classes, path);
    return out;
  }
  if (kind != "segmenter") throw InputError(path + ": " + not_a_segmenter(path, kind));
  const auto ckpt = models::read_model_checkpoint(path);
  out.segmenter = std::make_unique<models::Segmenter>(
      models::segmenter_config_from_json(ckpt.config, path + ": config"));
  core::load_state_dict(out.segmenter->module(), ckpt.tensors);
  out.segmenter->module().eval();
  if (ckpt.extra.contains("class_names"))
    out.class_names = ckpt.extra["class_names"].get<std::vector<std::string>>();
  out.description = models::model_description_from_json(
      ckpt.extra.value("description", nlohmann::json()), out.class_names,
      out.segmenter->config().num_classes, path);
  return out;
}

std::optional<models::ModelDescription> read_model_description(const std::string& path) {
  const auto header = core::read_safetensors_header(path);
  const auto it = header.metadata.find("lagm");
  if (it == header.metadata.end()) return std::nullopt;
  const auto meta = nlohmann::json::parse(it->second, nullptr, false);
  if (!meta.is_object() || !meta.value("config", nlohmann::json()).is_object()) return std::nullopt;
  const std::string kind = meta.value("kind", "");
  const auto& config = meta.at("config");
  try {
    if (kind == "annotator_snapshot") {
      const auto names = config.value("class_names", std::vector<std::string>());
      return models::model_description_from_json(config.value("description", nlohmann::json()),
                                                 names, static_cast<int64_t>(names.size()), path);
    }
    if (kind != "segmenter") return std::nullopt;
    const auto extra = meta.value("extra", nlohmann::json::object());
    return models::model_description_from_json(
        extra.value("description", nlohmann::json()),
        extra.value("class_names", std::vector<std::string>()),
        config.value("num_classes", int64_t{0}), path);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": malformed metadata: " + e.what());
  }
}

std::unique_ptr<models::Segmenter> load_frozen_labeller(const std::string& path,
                                                        const std::string& role,
                                                        const std::vector<std::string>& class_names,
                                                        torch::Device device) {
  if (!std::filesystem::exists(path)) throw InputError(path + ": " + role + " not found");
  auto labeller = load_segmenter(path);
  if (labeller.class_names != class_names)
    throw InputError(path + ": its classes differ from the labelled set's");
  labeller.segmenter->module().to(device);
  for (auto& p : labeller.segmenter->module().parameters()) p.set_requires_grad(false);
  return std::move(labeller.segmenter);
}

}  // namespace lagm::annotator

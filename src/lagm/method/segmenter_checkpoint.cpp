#include "lagm/method/segmenter_checkpoint.h"

#include <torch/torch.h>

#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/method/annotator_snapshot.h"
#include "lagm/models/checkpoint.h"

namespace lagm::method {

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
    return out;
  }
  if (kind != "segmenter") throw InputError(path + ": holds no segmenter (kind '" + kind + "')");
  const auto ckpt = models::read_model_checkpoint(path);
  out.segmenter = std::make_unique<models::Segmenter>(
      models::segmenter_config_from_json(ckpt.config, path + ": config"));
  core::load_state_dict(out.segmenter->module(), ckpt.tensors);
  out.segmenter->module().eval();
  if (ckpt.extra.contains("class_names"))
    out.class_names = ckpt.extra["class_names"].get<std::vector<std::string>>();
  return out;
}

}  // namespace lagm::method

#include "lagm/predict/export.h"

#include <torch/torch.h>

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"

namespace lagm::predict {
namespace {

namespace fs = std::filesystem;

// DeepLab: lagm wraps torchvision's network as `main_net` beside the normalisation buffers.
constexpr const char* kDeepLabPrefix = "main_net.";

}  // namespace

core::TensorDict pytorch_state_dict(annotator::LoadedSegmenter& model) {
  auto all = core::state_dict(model.segmenter->module());
  if (!model.segmenter->is_deeplab()) return all;
  return all.with_prefix_stripped(kDeepLabPrefix);
}

nlohmann::json export_manifest(const annotator::LoadedSegmenter& model,
                               const std::string& model_path) {
  const auto& d = model.description;
  const auto& config = model.segmenter->config();
  const bool deeplab = model.segmenter->is_deeplab();
  nlohmann::json palette = nlohmann::json::array();
  for (const auto& c : d.palette) palette.push_back({c[0], c[1], c[2]});
  nlohmann::json input = {{"height", d.input_height},
                          {"width", d.input_width},
                          {"resize", d.resize},
                          {"range", {-1, 1}},
                          {"normalization", d.normalization}};
  if (deeplab)
    input["inside_network"] =
        "torchvision's network takes ImageNet-normalised RGB: x01 = (x + 1) / 2, then "
        "(x01 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]; lagm_export.load applies it";
  return {
      {"format", "lagm-pytorch"},
      {"format_version", 1},
      {"weights", "model.safetensors"},
      {"arch", models::arch_name(config.arch)},
      {"options", models::to_json(config)},
      {"num_classes", config.num_classes},
      {"classes", d.class_names},
      {"palette", palette},
      {"input", input},
      {"output", "logits [N, num_classes, H, W] at the input's size; argmax over dim 1 = classes"},
      {"loader",
       deeplab ? std::string("torchvision.models.segmentation.") + models::arch_name(config.arch) +
                     "(weights=None, weights_backbone=None, num_classes=K, aux_loss=False)"
               : "lagm_export.UNet(num_classes=K, base_channels=options.base_channels)"},
      {"exported_from", model_path},
      {"description", models::to_json(d)}};
}

void export_pytorch(annotator::LoadedSegmenter& model, const std::string& model_path,
                    const std::string& out_dir) {
  const fs::path out(out_dir);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw InputError(out_dir + ": cannot create the folder: " + ec.message());
  const fs::path weights = out / "model.safetensors", manifest = out / "model.json";
  for (const auto& target : {weights, manifest})
    if (fs::exists(target) && fs::equivalent(target, model_path))
      throw InputError(target.string() + " is the model being exported; export into another --out");
  const auto tensors = pytorch_state_dict(model);
  auto cpu = core::TensorDict();
  for (const auto& [name, t] : tensors.items())
    cpu.set(name, t.detach().to(torch::kCPU).contiguous());
  core::write_safetensors(weights.string(), cpu, {{"format", "pt"}});
  core::write_file_atomic(manifest.string(), export_manifest(model, model_path).dump(1) + "\n");
}

}  // namespace lagm::predict

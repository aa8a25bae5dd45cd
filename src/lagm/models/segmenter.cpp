#include "lagm/models/segmenter.h"

#include <torch/torch.h>

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/core/memory_budget.h"
#include "lagm/core/state_dict.h"
#include "lagm/models/deeplabv3.h"
#include "lagm/models/unet.h"

namespace lagm::models {
using core::check_keys;
using core::get_or;

const char* arch_name(SegmenterArch arch) {
  switch (arch) {
    case SegmenterArch::kUNet:
      return "unet";
    case SegmenterArch::kDeepLabV3ResNet101:
      return "deeplabv3_resnet101";
    case SegmenterArch::kDeepLabV3ResNet50:
      return "deeplabv3_resnet50";
  }
  return "?";
}

SegmenterArch parse_segmenter_arch(const std::string& name, const std::string& where) {
  for (auto arch : {SegmenterArch::kUNet, SegmenterArch::kDeepLabV3ResNet101,
                    SegmenterArch::kDeepLabV3ResNet50})
    if (name == arch_name(arch)) return arch;
  throw InputError(where + ": unknown segmenter '" + name +
                   "' (expected unet, deeplabv3_resnet101 or deeplabv3_resnet50)");
}

void Segmenter::require_input_size(int64_t height, int64_t width, const std::string& where) const {
  if (height >= min_input_size() && width >= min_input_size()) return;
  throw InputError(where + ": images of " + std::to_string(width) + "x" + std::to_string(height) +
                   " are smaller than the smallest a " + arch_name(config_.arch) + " takes (" +
                   std::to_string(min_input_size()) + "x" + std::to_string(min_input_size()) +
                   "); resize them (--res)");
}

void Segmenter::require_memory_for(int64_t batch, int64_t height, int64_t width,
                                   bool training) const {
  // Floats per input pixel that exist at once, counted from the networks' layers (and checked
  // against peak memory here: a U-Net of width 4 measured 60 floats a pixel in inference, 178 in
  // training, where these give 60 and 170). Per image: the input, its int64 labels, the logits
  // (training: with softmax and gradient) and the U-Net's first level (inference: the skip, the
  // up-sampled map, their concatenation and a convolution; training: every map of every level,
  // twice the first level's 15); once per batch: the unfolded 3x3 patches of the widest
  // convolution (LibTorch's CPU convolution unfolds one image at a time). DeepLab: the stem's 64
  // channels at a quarter of the pixels only, a loose lower bound.
  const double k = static_cast<double>(config_.num_classes);
  const double c = static_cast<double>(config_.base_channels);
  const double b = static_cast<double>(batch);
  double per_image = 3 + 2 + (training ? 3 * k : k), per_batch = 0;
  if (is_deeplab()) {
    per_image += training ? 48 : 16;
  } else {
    per_image += training ? 30 * c : 4 * c;
    per_batch = 18 * c;
  }
  const double pixels = static_cast<double>(height) * static_cast<double>(width);
  core::require_memory((b * per_image + per_batch) * pixels * sizeof(float),
                       std::string("a ") + arch_name(config_.arch) + " batch of " +
                           std::to_string(batch) + " images of " + std::to_string(width) + "x" +
                           std::to_string(height),
                       training ? "training" : "inference");
}

SegmenterConfig segmenter_config_from_json(const nlohmann::json& j, const std::string& where) {
  check_keys(j,
             {"arch", "num_classes", "base_channels", "aspp_dropout", "bilinear", "input_channels",
              "class_name", "output_channels", "pretrain"},
             where);
  SegmenterConfig c;
  c.arch = parse_segmenter_arch(get_or<std::string>(j, "arch", "unet", where), where + ".arch");
  c.num_classes =
      get_or<int64_t>(j, "num_classes", get_or<int64_t>(j, "output_channels", 0, where), where);
  c.base_channels = get_or<int64_t>(j, "base_channels", 64, where);
  c.aspp_dropout = get_or<double>(j, "aspp_dropout", 0.5, where);
  if (!get_or<bool>(j, "bilinear", true, where))
    throw InputError(where +
                     ".bilinear: only bilinear up-sampling (the reference's) is implemented");
  if (get_or<int64_t>(j, "input_channels", 3, where) != 3)
    throw InputError(where + ".input_channels must be 3");
  // A palette mask holds 255 classes beside 255, the ignored label.
  if (j.contains("num_classes") || j.contains("output_channels"))
    core::require_in_range(c.num_classes, 1, 255, where + ".num_classes");
  core::require_in_range(c.base_channels, 1, 1024, where + ".base_channels");
  if (c.aspp_dropout < 0 || c.aspp_dropout >= 1)
    throw InputError(where + ".aspp_dropout must be in [0, 1)");
  return c;
}

SegmenterConfig segmenter_config_without_classes_from_json(const nlohmann::json& j,
                                                           const std::string& where) {
  if (!j.is_object()) throw InputError(where + ": expected an object, got " + j.dump());
  if (j.contains("num_classes") || j.contains("output_channels"))
    throw InputError(where + ".num_classes: not allowed (the classes come from the training data)");
  return segmenter_config_from_json(j, where);
}

bool operator==(const SegmenterConfig& a, const SegmenterConfig& b) {
  if (a.arch != b.arch || a.num_classes != b.num_classes) return false;
  return a.arch == SegmenterArch::kUNet ? a.base_channels == b.base_channels
                                        : a.aspp_dropout == b.aspp_dropout;
}

nlohmann::json to_json(const SegmenterConfig& c) {
  nlohmann::json j = {{"arch", arch_name(c.arch)}};
  if (c.num_classes != 0) j["num_classes"] = c.num_classes;
  if (c.arch == SegmenterArch::kUNet)
    j["base_channels"] = c.base_channels;
  else
    j["aspp_dropout"] = c.aspp_dropout;
  return j;
}

Segmenter::Segmenter(SegmenterConfig config) : config_(config) {
  if (config_.num_classes < 1) throw InputError("segmenter: num_classes must be >= 1");
  if (config_.arch == SegmenterArch::kUNet) {
    module_ = torch::nn::AnyModule(
        UNet(UNetOptions(config_.num_classes).base_channels(config_.base_channels)));
  } else {
    const char* backbone =
        config_.arch == SegmenterArch::kDeepLabV3ResNet50 ? "resnet50" : "resnet101";
    module_ = torch::nn::AnyModule(DeepLabSegmenter(DeepLabV3Options(config_.num_classes)
                                                        .backbone(backbone)
                                                        .aspp_dropout(config_.aspp_dropout)));
  }
}

void load_imagenet_backbone(Segmenter& segmenter, const core::TensorDict& resnet_weights) {
  if (!segmenter.is_deeplab())
    throw UsageError("ImageNet backbone weights apply to DeepLab segmenters only");
  auto& wrapper = dynamic_cast<DeepLabSegmenterImpl&>(segmenter.module());
  core::TensorDict backbone;
  backbone.source = resnet_weights.source;
  for (const auto& [name, t] : resnet_weights.items())
    if (name.rfind("fc.", 0) != 0) backbone.set(name, t);
  backbone.require_finite();
  core::load_state_dict(*wrapper.main_net->backbone, backbone);
}

}  // namespace lagm::models

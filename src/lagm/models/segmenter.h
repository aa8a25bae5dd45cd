// The segmentation networks by name (an explicit switch that throws on unknown names):
// "unet", "deeplabv3_resnet101", "deeplabv3_resnet50". Every segmenter maps [-1, 1] images
// [N, 3, H, W] to logits [N, K, H, W].
#pragma once

#include <torch/nn/modules/container/any.h>
#include <torch/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/core/tensor_dict.h"

namespace lagm::models {

/// The segmentation networks lagm builds.
enum class SegmenterArch { kUNet, kDeepLabV3ResNet101, kDeepLabV3ResNet50 };
/// "unet", "deeplabv3_resnet101", "deeplabv3_resnet50": the configs' spelling (torchvision's
/// names for the DeepLabs).
const char* arch_name(SegmenterArch arch);
/// InputError "<where>: unknown segmenter '<name>' (expected unet, ...)".
SegmenterArch parse_segmenter_arch(const std::string& name, const std::string& where);

/// JSON: {"arch": "unet", "num_classes": 8, "base_channels": 64} or
/// {"arch": "deeplabv3_resnet101", "num_classes": 8, "aspp_dropout": 0.5}. A training config
/// leaves num_classes 0: the classes come from its data, and its JSON has none.
struct SegmenterConfig {
  SegmenterArch arch = SegmenterArch::kUNet;
  int64_t num_classes = 0;
  int64_t base_channels = 64;  ///< unet only
  double aspp_dropout = 0.5;   ///< deeplab only
};

SegmenterConfig segmenter_config_from_json(const nlohmann::json& j, const std::string& where);
/// A training config's network: as segmenter_config_from_json, with num_classes refused (the
/// classes come from the training data; a number here would be saved but never used) and left 0.
SegmenterConfig segmenter_config_without_classes_from_json(const nlohmann::json& j,
                                                           const std::string& where);
/// The same network: the same architecture, classes and the size setting that architecture uses.
bool operator==(const SegmenterConfig& a, const SegmenterConfig& b);
inline bool operator!=(const SegmenterConfig& a, const SegmenterConfig& b) { return !(a == b); }
/// Without num_classes where it is 0 (a training config's network, classes from the data).
nlohmann::json to_json(const SegmenterConfig& c);

/// A segmentation network built from its config.
class Segmenter {
 public:
  explicit Segmenter(SegmenterConfig config);
  torch::Tensor forward(const torch::Tensor& x) { return module_.forward(x); }
  torch::nn::Module& module() { return *module_.ptr(); }
  std::shared_ptr<torch::nn::Module> ptr() const { return module_.ptr(); }
  const SegmenterConfig& config() const { return config_; }
  bool is_deeplab() const { return config_.arch != SegmenterArch::kUNet; }
  /// The smallest image side the network takes: the U-Net halves its input four times, DeepLab's
  /// backbone has an output stride of 8 (and its pooling branch needs more than one value).
  int64_t min_input_size() const { return is_deeplab() ? 32 : 16; }
  /// InputError "<where>: images of WxH are smaller than ..." when an image of `height` x `width`
  /// is too small for the network.
  void require_input_size(int64_t height, int64_t width, const std::string& where) const;
  /// InputError (core::require_memory) when a forward pass of `batch` images of `height` x
  /// `width` (with what backward keeps, if `training`) needs more memory than is available.
  void require_memory_for(int64_t batch, int64_t height, int64_t width, bool training) const;

 private:
  SegmenterConfig config_;
  torch::nn::AnyModule module_;
};

/// Copies torchvision ResNet weights (names as torchvision's `resnet101()`, `fc.*` ignored) into a
/// DeepLab segmenter's backbone. Throws InputError listing mismatches.
void load_imagenet_backbone(Segmenter& segmenter, const core::TensorDict& resnet_weights);

}  // namespace lagm::models

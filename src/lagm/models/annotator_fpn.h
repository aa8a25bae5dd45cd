// The annotator: an FPN over the generator's block features that outputs per-pixel part logits
// at the finest feature resolution.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace lagm::models {

/// Options for `AnnotatorFPN`; defaults are the reference's.
struct AnnotatorFPNOptions {
  AnnotatorFPNOptions(std::vector<std::vector<int64_t>> input_shapes, int64_t num_classes)
      : input_shapes_(std::move(input_shapes)), num_classes_(num_classes) {}
  /// [C, H, W] per feature map, in order.
  TORCH_ARG(std::vector<std::vector<int64_t>>, input_shapes);
  TORCH_ARG(int64_t, num_classes);
  TORCH_ARG(int64_t, tmp_channels) = 128;
  TORCH_ARG(int64_t, num_layers) = 3;  ///< convs in to_logit (the last one has a bias)
};

/// features (list of [N, C_i, H_i, W_i]) -> logits [N, K, H_last, W_last].
class AnnotatorFPNImpl : public torch::nn::Module {
 public:
  explicit AnnotatorFPNImpl(AnnotatorFPNOptions options);
  torch::Tensor forward(const std::vector<torch::Tensor>& features);

  AnnotatorFPNOptions options;
  std::vector<torch::nn::Conv2d> lateral;   // "lateral0", "lateral1", ...
  torch::nn::Sequential to_logit{nullptr};  // [conv, BN, ReLU] x (L-1), conv
};
TORCH_MODULE(AnnotatorFPN);

/// Refuses (InputError naming `name`) feature shapes that are not [C, H, W] lists of sizes in
/// range (at most 64 maps, C and H, W in [1, 8192]): an annotator's are read from its file.
void require_feature_shapes(const std::vector<std::vector<int64_t>>& shapes,
                            const std::string& name);

/// JSON config {"arch": "fpn", "tmp_channels", "num_layers", "num_classes", "input_shapes"}.
AnnotatorFPNOptions annotator_options_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const AnnotatorFPNOptions& o);

}  // namespace lagm::models

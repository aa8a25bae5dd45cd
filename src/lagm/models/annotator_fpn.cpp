#include "lagm/models/annotator_fpn.h"

#include <torch/torch.h>

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/nn/sync_batch_norm.h"

namespace lagm::models {
using core::check_keys;
using core::get_or;
namespace F = torch::nn::functional;

AnnotatorFPNImpl::AnnotatorFPNImpl(AnnotatorFPNOptions options_) : options(std::move(options_)) {
  const int64_t t = options.tmp_channels();
  for (size_t i = 0; i < options.input_shapes().size(); ++i)
    lateral.push_back(register_module(
        "lateral" + std::to_string(i),
        torch::nn::Conv2d(torch::nn::Conv2dOptions(options.input_shapes()[i][0], t, 1))));
  to_logit = torch::nn::Sequential();
  for (int64_t i = 0; i + 1 < options.num_layers(); ++i) {
    to_logit->push_back(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(t, t, 3).padding(1).bias(false)));
    to_logit->push_back(torch::nn::BatchNorm2d(t));
    to_logit->push_back(torch::nn::ReLU());
  }
  to_logit->push_back(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(t, options.num_classes(), 3).padding(1)));
  register_module("to_logit", to_logit);
}

torch::Tensor AnnotatorFPNImpl::forward(const std::vector<torch::Tensor>& features) {
  TORCH_CHECK(features.size() == lateral.size(), "AnnotatorFPN: expected ", lateral.size(),
              " feature maps, got ", features.size());
  torch::Tensor x;
  for (size_t i = 0; i < features.size(); ++i) {
    const auto& shape = options.input_shapes()[i];
    const auto& f = features[i];
    TORCH_CHECK(
        f.dim() == 4 && f.size(1) == shape[0] && f.size(2) == shape[1] && f.size(3) == shape[2],
        "AnnotatorFPN.features[", i, "] must be [N, ", shape[0], ", ", shape[1], ", ", shape[2],
        "], got ", f.sizes());
    auto y = lateral[i]->forward(f);
    if (!x.defined()) {
      x = y;
      continue;
    }
    // bfloat16 (fast mode's autocast) is resized in float32, in its own layout: LibTorch 1.13's
    // CPU bilinear resize took 2x longer in bfloat16 and 5x longer in a layout other than the
    // input's (measured). Other types as they are.
    if (x.scalar_type() == torch::kBFloat16) x = x.to(torch::kFloat32);
    if (x.sizes().slice(2) != y.sizes().slice(2))
      x = F::interpolate(x, F::InterpolateFuncOptions()
                                .size(std::vector<int64_t>{y.size(2), y.size(3)})
                                .mode(torch::kBilinear)
                                .align_corners(false));
    // Fast mode: the sum in the lateral's bfloat16 and layout, the next convolution's input as it
    // wants it; a float32 + bfloat16 sum across two layouts took 10x longer (measured).
    if (x.scalar_type() != y.scalar_type())
      x = x.to(y.scalar_type()).contiguous(y.suggest_memory_format());
    x = x + y;
  }
  return nn::forward_sequential(*to_logit, x);
}

void require_feature_shapes(const std::vector<std::vector<int64_t>>& shapes,
                            const std::string& name) {
  core::require_in_range(static_cast<int64_t>(shapes.size()), 0, 64, name + " (count)");
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto& s = shapes[i];
    const std::string entry = name + "[" + std::to_string(i) + "]";
    if (s.size() != 3) throw InputError(entry + ": each entry must be [C, H, W]");
    for (size_t d = 0; d < 3; ++d)
      core::require_in_range(s[d], 1, 8192, entry + "[" + std::to_string(d) + "]");
  }
}

AnnotatorFPNOptions annotator_options_from_json(const nlohmann::json& j, const std::string& where) {
  check_keys(j,
             {"arch", "tmp_channels", "num_layers", "num_classes", "input_shapes", "class_name",
              "output_channels", "fuse_bn_relu", "use_factor"},
             where);
  if (j.contains("arch") && j["arch"] != "fpn") throw InputError(where + ".arch: expected 'fpn'");
  if (j.value("fuse_bn_relu", false) || j.value("use_factor", false))
    throw InputError(
        where +
        ": fuse_bn_relu / use_factor are not supported (every reference config leaves them off)");
  std::vector<std::vector<int64_t>> shapes;
  if (j.contains("input_shapes"))
    shapes = get_or<std::vector<std::vector<int64_t>>>(j, "input_shapes", {}, where);
  int64_t k =
      get_or<int64_t>(j, "num_classes", get_or<int64_t>(j, "output_channels", 0, where), where);
  AnnotatorFPNOptions o(shapes, k);
  o.tmp_channels(get_or<int64_t>(j, "tmp_channels", 128, where));
  o.num_layers(get_or<int64_t>(j, "num_layers", 3, where));
  core::require_in_range(o.tmp_channels(), 1, 4096, where + ".tmp_channels");
  core::require_in_range(o.num_layers(), 1, 64, where + ".num_layers");
  if (j.contains("num_classes") || j.contains("output_channels"))
    core::require_in_range(k, 1, 255, where + ".num_classes");
  require_feature_shapes(shapes, where + ".input_shapes");
  return o;
}

nlohmann::json to_json(const AnnotatorFPNOptions& o) {
  return {{"arch", "fpn"},
          {"tmp_channels", o.tmp_channels()},
          {"num_layers", o.num_layers()},
          {"num_classes", o.num_classes()},
          {"input_shapes", o.input_shapes()}};
}

}  // namespace lagm::models

#include "lagm/models/annotator_mlp_ensemble.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/core/error.h"

namespace lagm::models {
namespace F = torch::nn::functional;

namespace {

torch::nn::Conv2d pointwise(int64_t in, int64_t out, bool bias) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(bias));
}

torch::Tensor upsampled(const torch::Tensor& x, int64_t h, int64_t w) {
  if (x.size(2) == h && x.size(3) == w) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace

PixelMLPImpl::PixelMLPImpl(const std::vector<std::vector<int64_t>>& input_shapes,
                           int64_t num_classes) {
  const bool wide = num_classes >= 32;  // DatasetGAN's two sizes
  const int64_t h1 = wide ? 256 : 128, h2 = wide ? 128 : 32;
  for (size_t i = 0; i < input_shapes.size(); ++i)
    first.push_back(register_module("first" + std::to_string(i),
                                    pointwise(input_shapes[i][0], h1, /*bias=*/i == 0)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(h1));
  second = register_module("second", pointwise(h1, h2, true));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(h2));
  out = register_module("out", pointwise(h2, num_classes, true));
}

torch::Tensor PixelMLPImpl::forward(const std::vector<torch::Tensor>& features) {
  TORCH_CHECK(features.size() == first.size(), "AnnotatorMLPEnsemble: expected ", first.size(),
              " feature maps, got ", features.size());
  const int64_t h = features.back().size(2), w = features.back().size(3);
  torch::Tensor x;
  for (size_t i = 0; i < features.size(); ++i) {
    auto y = upsampled(first[i]->forward(features[i]), h, w);
    x = x.defined() ? x + y : y;
  }
  x = bn1->forward(torch::relu(x));
  x = bn2->forward(torch::relu(second->forward(x)));
  return out->forward(x);
}

AnnotatorMLPEnsembleImpl::AnnotatorMLPEnsembleImpl(AnnotatorMLPEnsembleOptions options_)
    : options(std::move(options_)) {
  if (options.members() < 1) throw InputError("mlp_ensemble: members must be >= 1");
  for (const auto& s : options.input_shapes())
    if (s.size() != 3) throw InputError("mlp_ensemble: each input shape must be [C, H, W]");
  for (int64_t m = 0; m < options.members(); ++m)
    members.push_back(register_module("member" + std::to_string(m),
                                      PixelMLP(options.input_shapes(), options.num_classes())));
}

torch::Tensor AnnotatorMLPEnsembleImpl::member_logits(const std::vector<torch::Tensor>& features) {
  std::vector<torch::Tensor> out;
  out.reserve(members.size());
  for (auto& m : members) out.push_back(m->forward(features));
  return torch::stack(out);
}

torch::Tensor AnnotatorMLPEnsembleImpl::forward(const std::vector<torch::Tensor>& features) {
  // Accumulated member by member: one member's activations alive at a time.
  torch::Tensor sum;
  for (auto& m : members) {
    const auto p = torch::softmax(m->forward(features), 1);
    sum = sum.defined() ? sum + p : p;
  }
  return torch::log(sum / static_cast<double>(members.size()));
}

torch::Tensor ensemble_js_divergence(const torch::Tensor& member_probs) {
  auto entropy = [](const torch::Tensor& p) {
    return -(p * torch::log(p.clamp_min(1e-12))).sum(-3);  // over K
  };
  return entropy(member_probs.mean(0)) - entropy(member_probs).mean(0);
}

torch::Tensor image_uncertainty(const torch::Tensor& js, double fraction) {
  const auto flat = js.reshape({js.size(0), -1});
  const int64_t top =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(fraction * flat.size(1) - 1e-9)));
  return std::get<0>(flat.topk(top, 1)).mean(1);
}

}  // namespace lagm::models

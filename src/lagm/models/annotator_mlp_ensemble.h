// DatasetGAN's interpreter: an ensemble of pixel-wise MLPs over the generator's block features,
// each upsampled to the finest feature resolution and concatenated per pixel. Every member is
// Linear(C, h1), ReLU, BatchNorm(h1), Linear(h1, h2), ReLU, BatchNorm(h2), Linear(h2, K) applied to
// each pixel's feature vector (h1, h2 = 128, 32 below 32 classes, else 256, 128, as DatasetGAN),
// the members differing by their initialisation. Written as 1x1 convolutions, which are that MLP at
// every pixel (BatchNorm2d over N, H, W is BatchNorm1d over the pixels).
//
// Memory: the concatenated per-pixel vectors (C up to ~6000 at up to 1024^2 pixels: tens of GB per
// image for a real StyleGAN) are never formed. The first layer is linear and so is the bilinear
// upsampling, so Linear(upsample(concat f_i)) = sum_i upsample(W_i f_i) + b: each block goes
// through its slice of the first layer at its own resolution and only h1 channels are upsampled.
// The members run one after the other, so a forward pass holds one member's h1 x H x W at a time.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace lagm::models {

struct AnnotatorMLPEnsembleOptions {
  AnnotatorMLPEnsembleOptions(std::vector<std::vector<int64_t>> input_shapes, int64_t num_classes)
      : input_shapes_(std::move(input_shapes)), num_classes_(num_classes) {}
  TORCH_ARG(std::vector<std::vector<int64_t>>, input_shapes);  ///< [C, H, W] per feature map
  TORCH_ARG(int64_t, num_classes);
  TORCH_ARG(int64_t, members) = 10;
};

/// One pixel-wise MLP; the first layer is split by feature block (see above).
class PixelMLPImpl : public torch::nn::Module {
 public:
  PixelMLPImpl(const std::vector<std::vector<int64_t>>& input_shapes, int64_t num_classes);
  /// features -> logits [N, K, H_last, W_last]
  torch::Tensor forward(const std::vector<torch::Tensor>& features);

  std::vector<torch::nn::Conv2d> first;  // "first0", "first1", ...: W_i (first0 also holds b)
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Conv2d second{nullptr}, out{nullptr};
};
TORCH_MODULE(PixelMLP);

/// features -> logits [N, K, H_last, W_last]: the log of the members' mean probability, so that
/// softmax and arg-max give the ensemble's averaged prediction.
class AnnotatorMLPEnsembleImpl : public torch::nn::Module {
 public:
  explicit AnnotatorMLPEnsembleImpl(AnnotatorMLPEnsembleOptions options);
  torch::Tensor forward(const std::vector<torch::Tensor>& features);
  /// Each member's logits, [M, N, K, H, W] (the training loss sums the members' cross entropies).
  torch::Tensor member_logits(const std::vector<torch::Tensor>& features);

  AnnotatorMLPEnsembleOptions options;
  std::vector<PixelMLP> members;  // "member0", "member1", ...
};
TORCH_MODULE(AnnotatorMLPEnsemble);

/// Jensen-Shannon divergence of the members' predictions per pixel (natural log): H(mean_m p_m) -
/// mean_m H(p_m), from member probabilities [M, N, K, H, W]; returns [N, H, W].
torch::Tensor ensemble_js_divergence(const torch::Tensor& member_probs);

/// DatasetGAN's image uncertainty: the mean of the top `fraction` (10 %) of an image's per-pixel JS
/// values; [N, H, W] -> [N].
torch::Tensor image_uncertainty(const torch::Tensor& js, double fraction = 0.1);

}  // namespace lagm::models

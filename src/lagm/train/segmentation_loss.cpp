#include "lagm/train/segmentation_loss.h"

#include <torch/torch.h>

#include <cmath>

namespace lagm::train {
namespace F = torch::nn::functional;

torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target_probs,
                                 const torch::Tensor& class_weights) {
  auto per_class = -target_probs * torch::log_softmax(logits, 1);
  if (class_weights.defined())
    per_class = per_class * class_weights.to(per_class.options()).view({1, -1, 1, 1});
  return per_class.sum(1).mean();
}

torch::Tensor labelled_cross_entropy(const torch::Tensor& logits, const torch::Tensor& masks,
                                     const torch::Tensor& class_weights) {
  if (!class_weights.defined())
    return F::cross_entropy(logits, masks, F::CrossEntropyFuncOptions().ignore_index(255));
  return F::cross_entropy(logits, masks,
                          F::CrossEntropyFuncOptions()
                              .ignore_index(255)
                              .weight(class_weights.to(logits.options()))
                              .reduction(torch::kNone))
      .mean();
}

torch::Tensor class_balance_weights(const std::vector<double>& frequencies, double power) {
  std::vector<double> w(frequencies.size(), 0.0);
  double mean = 0;
  for (size_t c = 0; c < w.size(); ++c) {
    if (frequencies[c] > 0) w[c] = std::pow(frequencies[c], -power);
    mean += frequencies[c] * w[c];
  }
  for (auto& v : w) v /= mean > 0 ? mean : 1.0;
  return torch::tensor(w, torch::kFloat64);
}

}  // namespace lagm::train

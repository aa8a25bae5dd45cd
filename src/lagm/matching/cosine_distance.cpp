#include "lagm/matching/cosine_distance.h"

#include <torch/torch.h>

namespace lagm::matching {

bool has_closed_form_gradient(const MatcherOptions& options) {
  return options.metric == MatchMetric::kCosine && options.magnitude_weight == 0;
}

DistanceAndGradient cosine_distance_and_gradient(const torch::Tensor& a_in,
                                                 const torch::Tensor& b_in,
                                                 const MatcherOptions& options,
                                                 const torch::Tensor& upstream) {
  TORCH_CHECK(has_closed_form_gradient(options) && a_in.dim() >= 2 && a_in.sizes() == b_in.sizes(),
              "cosine_distance_and_gradient: a cosine pair of two or more dimensions");
  const auto a = a_in.reshape({a_in.size(0), -1});
  const auto b = b_in.reshape({b_in.size(0), -1});
  const auto rows = static_cast<double>(a.size(0));
  const auto dot = (a * b).sum(1);
  const auto norm_a = a.norm(2, 1), norm_b = b.norm(2, 1);
  // Per row, cos = dot / denominator and d cos / d a = b / denominator - slope * a, where slope
  // carries the derivative of |a| (a / |a|) wherever the convention lets it through.
  torch::Tensor denominator, cos, slope;
  if (options.cosine_eps == CosineEps::kClampEachNorm) {
    const auto clamped_a = norm_a.clamp_min(options.eps);
    denominator = clamped_a * norm_b.clamp_min(options.eps);
    cos = dot / denominator;
    // LibTorch (>= 1.12) clamps the norms in place after computing them: the norm's backward
    // divides by the clamped value, a clamped norm's derivative is a / eps.
    slope = cos / (clamped_a * clamped_a);
  } else {
    const auto product = norm_a * norm_b;
    denominator = product.clamp_min(options.eps);
    cos = dot / denominator;
    slope = torch::where(product >= options.eps, cos * norm_b / (denominator * norm_a),
                         torch::zeros_like(cos));
  }
  const bool mean = options.reduction == MatchReduction::kMean;
  auto distance = (1 - cos).sum();
  if (mean) distance = distance / rows;
  // distance = sum(1 - cos) [/ rows]: its gradient is -upstream [/ rows] * d cos / d a.
  const auto scale = mean ? upstream / rows : upstream;
  auto gradient = b * (-scale / denominator).unsqueeze(1);
  gradient.addcmul_(a, (scale * slope).unsqueeze(1));
  return {distance, gradient.view(a_in.sizes())};
}

}  // namespace lagm::matching

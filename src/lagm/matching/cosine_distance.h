// The cosine distance of one gradient pair and its gradient in closed form. Gradient matching
// differentiates the distance with respect to the synthetic gradient once per matched tensor and
// step; through autograd that is about ten passes over the tensor (LibTorch's cosine similarity
// divides both operands by their norms, multiplies and sums, and its backward retraces each),
// 44 ms for DeepLab's 256x2048x3x3 ASPP weights on two cores. In closed form it is three row
// reductions and one pass for the gradient (5 ms): the same function, rounded in another order.
#pragma once

#include <torch/types.h>

#include "lagm/matching/gradient_matching.h"

namespace lagm::matching {

struct DistanceAndGradient {
  torch::Tensor distance;  ///< 0-d, gradient_distance(a, b, options)
  torch::Tensor gradient;  ///< upstream * d distance / d a, a's shape
};

/// Whether cosine_distance_and_gradient computes `options`' distance: the cosine metric without a
/// magnitude term, either eps convention, either reduction.
bool has_closed_form_gradient(const MatcherOptions& options);

/// gradient_distance(a, b, options) for a tensor of two or more dimensions and the gradient
/// autograd would give `a` with `upstream` (0-d) as the distance's gradient, b held constant,
/// clamps included: under kClampEachNorm a clamped norm's derivative is a / eps (LibTorch clamps
/// the computed norm in place), under kClampProduct a clamped product passes none.
DistanceAndGradient cosine_distance_and_gradient(const torch::Tensor& a, const torch::Tensor& b,
                                                 const MatcherOptions& options,
                                                 const torch::Tensor& upstream);

}  // namespace lagm::matching

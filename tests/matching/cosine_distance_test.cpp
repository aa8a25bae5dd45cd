#include "lagm/matching/cosine_distance.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace matching = lagm::matching;

namespace {

// Rows that take every branch of both conventions: ordinary ones, one whose norm is below eps
// (clamped under either convention), one of zeros in the synthetic gradient, one whose product of
// norms is below eps while each norm is not.
std::pair<torch::Tensor, torch::Tensor> awkward_pair() {
  torch::manual_seed(11);
  auto a = torch::randn({6, 3, 3, 3}, torch::kFloat64);
  auto b = torch::randn({6, 3, 3, 3}, torch::kFloat64);
  a[1] *= 1e-9;
  a[2].zero_();
  a[3] *= 1e-4 / a[3].norm().item<double>();
  b[3] *= 1e-3 / b[3].norm().item<double>();  // |a| |b| = 1e-7 < eps = 1e-6
  return {a, b};
}

}  // namespace

TEST(CosineDistance, ClosedFormIsAutogradsDistanceAndGradientInFloat64) {
  const auto [a, b] = awkward_pair();
  const auto upstream = torch::tensor(0.37, torch::kFloat64);
  for (const auto eps : {matching::CosineEps::kClampEachNorm, matching::CosineEps::kClampProduct})
    for (const auto reduction : {matching::MatchReduction::kMean, matching::MatchReduction::kSum}) {
      matching::MatcherOptions o;
      o.cosine_eps = eps;
      o.reduction = reduction;
      const auto leaf = a.clone().requires_grad_();
      const auto distance = matching::gradient_distance(leaf, b, o);
      const auto gradient = torch::autograd::grad({distance}, {leaf}, {upstream})[0];
      const auto closed = matching::cosine_distance_and_gradient(a, b, o, upstream);
      EXPECT_NEAR(closed.distance.item<double>(), distance.item<double>(), 1e-12);
      ASSERT_EQ(closed.gradient.sizes(), a.sizes());
      const double scale = gradient.abs().max().item<double>();
      EXPECT_LT((closed.gradient - gradient).abs().max().item<double>(), 1e-12 * scale)
          << "eps convention " << static_cast<int>(eps) << ", reduction "
          << static_cast<int>(reduction);
      // The zero row's gradient is b / denominator only: finite.
      EXPECT_TRUE(closed.gradient.isfinite().all().item<bool>());
    }
}

TEST(CosineDistance, ChannelsLastGradientsGiveTheSameNumbers) {
  // Fast mode keeps S's weights channels-last, so their gradients arrive in that layout.
  const auto [a, b] = awkward_pair();
  const matching::MatcherOptions o;
  const auto upstream = torch::tensor(1.0, torch::kFloat64);
  const auto plain = matching::cosine_distance_and_gradient(a, b, o, upstream);
  const auto strided = matching::cosine_distance_and_gradient(
      a.contiguous(torch::MemoryFormat::ChannelsLast),
      b.contiguous(torch::MemoryFormat::ChannelsLast), o, upstream);
  EXPECT_TRUE(torch::equal(strided.distance, plain.distance));
  EXPECT_TRUE(torch::equal(strided.gradient, plain.gradient));
}

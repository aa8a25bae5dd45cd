#include "lagm/nn/modulated_conv2d.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lagm/nn/upfirdn2d.h"

// The fused (grouped) and non-fused (input-scaling) paths compute the same function.
TEST(ModulatedConv2d, FusedAndNonFusedAgree) {
  torch::manual_seed(0);
  auto x = torch::randn({3, 8, 6, 6});
  auto w = torch::randn({5, 8, 3, 3});
  auto s = torch::randn({3, 8});
  auto noise = torch::randn({3, 1, 12, 12});
  auto f = lagm::nn::make_resample_filter();
  for (int64_t up : {1, 2}) {
    for (bool demod : {true, false}) {
      lagm::nn::ModulatedConv2dOptions o;
      o.up = up;
      o.padding = 1;
      o.demodulate = demod;
      o.flip_weight = up == 1;
      auto n = up == 2 ? noise : noise.slice(2, 0, 6).slice(3, 0, 6);
      o.fused = true;
      auto a = lagm::nn::modulated_conv2d(x, w, s, n, f, o);
      o.fused = false;
      auto b = lagm::nn::modulated_conv2d(x, w, s, n, f, o);
      EXPECT_LT((a - b).abs().max().item<float>() / b.abs().max().item<float>(), 1e-5)
          << up << demod;
    }
  }
}

TEST(ModulatedConv2d, DemodulationNormalisesOutputChannelWeights) {
  // With demodulation, scaling all styles of a sample by a constant leaves the output unchanged.
  torch::manual_seed(1);
  auto x = torch::randn({1, 4, 5, 5});
  auto w = torch::randn({3, 4, 3, 3});
  auto s = torch::randn({1, 4});
  lagm::nn::ModulatedConv2dOptions o;
  o.padding = 1;
  auto a = lagm::nn::modulated_conv2d(x, w, s, {}, {}, o);
  auto b = lagm::nn::modulated_conv2d(x, w, s * 7.0, {}, {}, o);
  EXPECT_LT((a - b).abs().max().item<float>(), 1e-5);
}

// Fast mode's input-scaling path takes its demodulation from one [N, I] x [I, O] product instead
// of the per-sample kernels: against the same layer in float64, it stays within bfloat16's
// rounding, for a plain and an up-sampling layer.
TEST(ModulatedConv2d, BfloatDemodulationFromTheFactoredSumMatchesFloat64) {
  torch::manual_seed(2);
  const auto x = torch::randn({2, 8, 6, 6}, torch::kFloat64);
  const auto w = torch::randn({5, 8, 3, 3}, torch::kFloat64);
  const auto s = torch::randn({2, 8}, torch::kFloat64);
  const auto f = lagm::nn::make_resample_filter();
  for (int64_t up : {1, 2}) {
    for (const bool with_noise : {false, true}) {
      lagm::nn::ModulatedConv2dOptions o;
      o.up = up;
      o.padding = 1;
      o.flip_weight = up == 1;
      o.fused = false;
      const auto noise =
          with_noise ? torch::randn({2, 1, 6 * up, 6 * up}, torch::kFloat64) : torch::Tensor();
      const auto exact = lagm::nn::modulated_conv2d(x, w, s, noise, f.to(torch::kFloat64), o);
      const auto fast = lagm::nn::modulated_conv2d(
          x.to(torch::kBFloat16), w.to(torch::kFloat32), s.to(torch::kFloat32),
          with_noise ? noise.to(torch::kFloat32) : noise, f, o);
      ASSERT_EQ(fast.scalar_type(), torch::kBFloat16);
      const double err = ((fast.to(torch::kFloat64) - exact).norm() / exact.norm()).item<double>();
      EXPECT_LT(err, 0.02) << "up " << up << (with_noise ? ", noise" : "");
      EXPECT_GT(err, 0.0) << "up " << up;
    }
  }
}

// A frozen layer's bfloat16 kernel is made once: what it holds is the weight's cast and squared
// sums, it is made again only when the weight changes, never for a weight autograd is recording,
// and modulated_conv2d computes the same floats with it as without.
TEST(ModulatedConv2d, Bf16KernelCacheMakesTheKernelOnceAndAgainOnlyWhenTheWeightChanges) {
  torch::manual_seed(4);
  auto w = torch::randn({5, 8, 3, 3});
  lagm::nn::Bf16KernelCache cache;
  const auto* k = cache.get(w, /*channels_last=*/false);
  ASSERT_NE(k, nullptr);
  EXPECT_TRUE(torch::equal(k->weight, w.to(torch::kBFloat16)));
  EXPECT_TRUE(torch::equal(k->squared_sums, (w * w).sum({2, 3})));
  const void* made = k->weight.data_ptr();
  EXPECT_EQ(cache.get(w, false)->weight.data_ptr(), made) << "made again for the same weight";
  w.add_(1.0);  // a write: the version counter moves
  EXPECT_TRUE(torch::equal(cache.get(w, false)->weight, w.to(torch::kBFloat16)));
  const auto other = torch::randn({5, 8, 3, 3});  // another weight altogether
  EXPECT_TRUE(torch::equal(cache.get(other, false)->weight, other.to(torch::kBFloat16)));
  const auto* cl = cache.get(other, /*channels_last=*/true);
  EXPECT_TRUE(cl->weight.is_contiguous(torch::MemoryFormat::ChannelsLast));
  auto trained = torch::randn({5, 8, 3, 3}, torch::requires_grad());
  EXPECT_EQ(cache.get(trained, false), nullptr) << "a weight autograd records got a cached cast";
  torch::NoGradGuard no_grad;
  EXPECT_NE(cache.get(trained, false), nullptr);
}

TEST(ModulatedConv2d, AGivenBf16KernelComputesTheSameFloats) {
  torch::manual_seed(5);
  const auto x = torch::randn({2, 8, 6, 6}).to(torch::kBFloat16);
  const auto w = torch::randn({5, 8, 3, 3});
  const auto s = torch::randn({2, 8});
  const auto f = lagm::nn::make_resample_filter();
  for (int64_t up : {1, 2}) {
    for (const bool channels_last : {false, true}) {
      if (up == 2 && channels_last) continue;  // the up-sampling layers gather from plain kernels
      lagm::nn::ModulatedConv2dOptions o;
      o.up = up;
      o.padding = 1;
      o.flip_weight = up == 1;
      o.fused = false;
      const auto noise = torch::randn({2, 1, 6 * up, 6 * up});
      lagm::nn::Bf16KernelCache cache;
      const auto input = channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
      const auto derived = lagm::nn::modulated_conv2d(input, w, s, noise, f, o);
      const auto given =
          lagm::nn::modulated_conv2d(input, w, s, noise, f, o, cache.get(w, channels_last));
      EXPECT_TRUE(torch::equal(given, derived))
          << "up " << up << " channels-last " << channels_last;
    }
  }
}

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

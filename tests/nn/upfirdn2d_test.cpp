#include "lagm/nn/upfirdn2d.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lagm/nn/conv2d_resample.h"

namespace F = torch::nn::functional;

TEST(Upfirdn2d, ResampleFilterIsTheReferenceF4) {
  auto f = lagm::nn::make_resample_filter();
  EXPECT_EQ(f.sizes(), torch::IntArrayRef({4, 4}));
  EXPECT_FLOAT_EQ(f[0][0].item<float>(), 0.015625f);
  EXPECT_FLOAT_EQ(f[0][1].item<float>(), 0.046875f);
  EXPECT_NEAR(f.sum().item<float>(), 1.0f, 1e-7);
}

TEST(Upfirdn2d, UpsamplingPreservesConstantsAndDoublesSize) {
  auto x = torch::full({2, 3, 5, 5}, 0.7);
  auto y = lagm::nn::upsample2d(x, lagm::nn::make_resample_filter());
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 3, 10, 10}));
  // Away from the zero-padded border a constant stays constant (the filter x gain sums to 4 per
  // phase).
  EXPECT_NEAR(y.slice(2, 2, 8).slice(3, 2, 8).sub(0.7).abs().max().item<float>(), 0.0f, 1e-6);
  auto d = lagm::nn::downsample2d(torch::full({2, 3, 6, 6}, 0.7), lagm::nn::make_resample_filter());
  EXPECT_EQ(d.sizes(), torch::IntArrayRef({2, 3, 3, 3}));
  EXPECT_NEAR(d[0][0][1][1].item<float>(), 0.7f, 1e-6);
}

TEST(Upfirdn2d, MatchesDirectDefinitionOnAnImpulse) {
  // An impulse through up=1, pad 3 reproduces the (flipped-for-convolution) filter itself.
  auto f = torch::arange(1, 17, torch::kFloat32).view({4, 4});
  auto x = torch::zeros({1, 1, 1, 1});
  x[0][0][0][0] = 1;
  auto y = lagm::nn::upfirdn2d(x, f, 1, 1, {3, 3, 3, 3});
  EXPECT_TRUE(torch::allclose(y[0][0], f));
  auto yf = lagm::nn::upfirdn2d(x, f, 1, 1, {3, 3, 3, 3}, /*flip_filter=*/true);
  EXPECT_TRUE(torch::allclose(yf[0][0], f.flip({0, 1})));
}

TEST(Upfirdn2d, NegativePaddingCrops) {
  auto x = torch::arange(36, torch::kFloat32).view({1, 1, 6, 6});
  auto one = torch::ones({1, 1});
  auto y = lagm::nn::upfirdn2d(x, one, 1, 1, {-1, -2, -3, 0});
  EXPECT_TRUE(torch::equal(y, x.slice(2, 3, 6).slice(3, 1, 4)));
}

// The second form of the StyleGAN2 up-conv: zero-insert + FIR with pad [3,2,3,2]
// then a true convolution with w; the transposed-conv path must agree.
TEST(Conv2dResample, UpConvEqualsUpfirdnThenTrueConvolution) {
  torch::manual_seed(0);
  auto x = torch::randn({2, 5, 6, 6});
  auto w = torch::randn({4, 5, 3, 3});
  auto f = lagm::nn::make_resample_filter();
  auto fast = lagm::nn::conv2d_resample(x, w, f, 2, 1, 1, 1, /*flip_weight=*/false);
  auto slow = F::conv2d(lagm::nn::upfirdn2d(x, f, 2, 1, {3, 2, 3, 2}, false, 4.0), w.flip({2, 3}));
  ASSERT_EQ(fast.sizes(), slow.sizes());
  EXPECT_LT((fast - slow).abs().max().item<float>(), 1e-5);
}

TEST(Conv2dResample, GroupedUpConvEqualsPerGroupConv) {
  torch::manual_seed(1);
  auto x = torch::randn({1, 6, 5, 5});
  auto w = torch::randn({4, 3, 3, 3});  // 2 groups of 3 in -> 2 out
  auto f = lagm::nn::make_resample_filter();
  auto grouped = lagm::nn::conv2d_resample(x, w, f, 2, 1, 1, 2, false);
  auto g0 = lagm::nn::conv2d_resample(x.narrow(1, 0, 3), w.narrow(0, 0, 2), f, 2, 1, 1, 1, false);
  auto g1 = lagm::nn::conv2d_resample(x.narrow(1, 3, 3), w.narrow(0, 2, 2), f, 2, 1, 1, 1, false);
  EXPECT_LT((grouped - torch::cat({g0, g1}, 1)).abs().max().item<float>(), 1e-5);
}

TEST(Conv2dResample, DownConvEqualsFilterThenStridedConv) {
  torch::manual_seed(2);
  auto x = torch::randn({1, 3, 8, 8});
  auto w = torch::randn({2, 3, 3, 3});
  auto f = lagm::nn::make_resample_filter();
  auto y = lagm::nn::conv2d_resample(x, w, f, 1, 2, 1);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({1, 2, 4, 4}));
  auto ref =
      F::conv2d(lagm::nn::upfirdn2d(x, f, 1, 1, {2, 2, 2, 2}), w, F::Conv2dFuncOptions().stride(2));
  EXPECT_LT((y - ref).abs().max().item<float>(), 1e-5);
}

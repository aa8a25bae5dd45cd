// The polyphase transposed convolution against LibTorch's conv_transpose2d: values and gradients,
// for the shapes the generators use (3x3 up-conv, stride 2, grouped for fused modulation) and
// others.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lagm/nn/conv2d_resample.h"

namespace lagm::nn {
namespace {

namespace F = torch::nn::functional;

struct Case {
  int64_t n, groups, in_g, out_g, h, w, k, stride, padding;
};

TEST(ConvTransposePolyphase, MatchesConvTranspose2dValuesAndGradients) {
  torch::manual_seed(0);
  const Case cases[] = {{2, 1, 8, 6, 5, 7, 3, 2, 0}, {1, 1, 4, 4, 4, 4, 3, 2, 1},
                        {3, 3, 5, 4, 6, 6, 3, 2, 0}, {2, 1, 3, 2, 5, 5, 4, 2, 1},
                        {1, 2, 3, 3, 4, 5, 1, 2, 0}, {1, 1, 3, 3, 4, 4, 3, 3, 1},
                        {2, 1, 4, 5, 8, 8, 3, 1, 1}};
  for (const auto& c : cases) {
    SCOPED_TRACE("groups " + std::to_string(c.groups) + " k " + std::to_string(c.k) + " stride " +
                 std::to_string(c.stride) + " padding " + std::to_string(c.padding));
    auto x = torch::randn({c.n, c.groups * c.in_g, c.h, c.w}, torch::requires_grad());
    auto w = torch::randn({c.groups * c.in_g, c.out_g, c.k, c.k}, torch::requires_grad());
    auto x2 = x.detach().clone().requires_grad_(true);
    auto w2 = w.detach().clone().requires_grad_(true);
    const auto ref = F::conv_transpose2d(
        x, w, F::ConvTranspose2dFuncOptions().stride(c.stride).padding(c.padding).groups(c.groups));
    const auto got = conv_transpose2d_polyphase(x2, w2, c.stride, c.padding, c.groups);
    ASSERT_EQ(got.sizes(), ref.sizes());
    EXPECT_LT((got - ref).abs().max().item<double>(), 1e-4);
    const auto g = torch::randn_like(ref);
    (ref * g).sum().backward();
    (got * g).sum().backward();
    EXPECT_LT((x2.grad() - x.grad()).abs().max().item<double>(), 1e-4);
    EXPECT_LT((w2.grad() - w.grad()).abs().max().item<double>(), 1e-4);
  }
}

TEST(ConvTransposePolyphase, PhaseKernelsAreTheReversedStridedTaps) {
  // Each phase's kernel, written out as the slicing it replaces: taps (or taps reversed) sliced at
  // the phase's stride, then reversed; the same floats bit for bit, kernels 1-4, strides 1-3.
  torch::manual_seed(0);
  for (const int64_t k : {1, 2, 3, 4}) {
    for (const int64_t s : {1, 2, 3}) {
      for (const bool flipped : {false, true}) {
        SCOPED_TRACE("k " + std::to_string(k) + " stride " + std::to_string(s) +
                     (flipped ? " flipped" : ""));
        const auto taps = torch::randn({6, 5, k, k});
        const auto oriented = flipped ? taps.flip({2, 3}) : taps;
        const auto kernels = polyphase_kernels(taps, s, flipped);
        ASSERT_EQ(kernels.size(), static_cast<size_t>(s * s));
        for (int64_t a = 0; a < s; ++a) {
          for (int64_t b = 0; b < s; ++b) {
            const auto& got = kernels[static_cast<size_t>(a * s + b)];
            if (a >= k || b >= k) {
              EXPECT_FALSE(got.defined());
              continue;
            }
            const auto want = oriented.slice(2, a, k, s).slice(3, b, k, s).flip({2, 3});
            ASSERT_TRUE(got.defined());
            EXPECT_TRUE(torch::equal(got, want));
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace lagm::nn

// pruned_conv2d against the module's own forward: the same numbers, bit for bit, for the forward
// pass, the gradients, and the second derivatives gradient matching takes (through the weight
// gradient into what made the loss's target), and also the second-order terms it prunes when they
// are asked for. Geometries: the U-Net's 3x3 and 1x1, DeepLab's strided and dilated ones, with and
// without bias, and a grouped one.
#include "lagm/nn/pruned_conv2d.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace lagm::nn {
namespace {

struct Geometry {
  int64_t in, out, k, stride, padding, dilation, groups;
  bool bias;
};

const Geometry kGeometries[] = {{6, 5, 3, 1, 1, 1, 1, true},  {6, 4, 1, 1, 0, 1, 1, true},
                                {6, 8, 3, 2, 1, 1, 1, false}, {6, 6, 3, 1, 2, 2, 1, false},
                                {6, 4, 1, 2, 0, 1, 1, false}, {6, 6, 3, 1, 1, 1, 3, true}};

torch::nn::Conv2d make_conv(const Geometry& g) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(g.in, g.out, g.k)
                               .stride(g.stride)
                               .padding(g.padding)
                               .dilation(g.dilation)
                               .groups(g.groups)
                               .bias(g.bias));
}

std::string name(const Geometry& g) {
  return "k" + std::to_string(g.k) + " stride " + std::to_string(g.stride) + " dilation " +
         std::to_string(g.dilation) + " groups " + std::to_string(g.groups) +
         (g.bias ? " bias" : "");
}

// Gradient matching's shape of computation: a loss on the layer's weight gradient, where the
// layer's output gradient depends on `target` (A's output) and its input on `h` (S's earlier
// activations, which require grad). Returns d(loss)/d(target), and d(loss)/d(h) and
// d(loss)/d(weight) when `all_terms`.
std::vector<torch::Tensor> second_order(torch::nn::Conv2d& conv, bool pruned,
                                        const torch::Tensor& x, const torch::Tensor& target,
                                        bool all_terms) {
  auto h = x.detach().clone().requires_grad_(true);
  auto t = target.detach().clone().requires_grad_(true);
  auto y = pruned ? pruned_conv2d(*conv, h.tanh()) : conv->forward(h.tanh());
  auto loss = (y * t).square().mean();
  std::vector<torch::Tensor> params = {conv->weight};
  if (conv->bias.defined()) params.push_back(conv->bias);
  auto grads = torch::autograd::grad({loss}, params, {}, true, /*create_graph=*/true);
  torch::Tensor match = grads[0].square().sum();
  if (grads.size() > 1) match = match + grads[1].square().sum() * 0.5;
  std::vector<torch::Tensor> wrt = {t};
  if (all_terms) wrt.insert(wrt.end(), {h, conv->weight});
  return torch::autograd::grad({match}, wrt);
}

TEST(PrunedConv2d, ForwardAndGradientsEqualTheModulesBitForBit) {
  for (const auto& g : kGeometries) {
    SCOPED_TRACE(name(g));
    torch::manual_seed(0);
    auto conv = make_conv(g);
    auto x = torch::randn({2, g.in, 9, 9});
    auto x1 = x.clone().requires_grad_(true), x2 = x.clone().requires_grad_(true);
    auto y1 = conv->forward(x1), y2 = pruned_conv2d(*conv, x2);
    ASSERT_TRUE(torch::equal(y1, y2));
    auto gy = torch::randn_like(y1);
    std::vector<torch::Tensor> p1 = {x1, conv->weight}, p2 = {x2, conv->weight};
    if (g.bias) p1.push_back(conv->bias), p2.push_back(conv->bias);
    auto g1 = torch::autograd::grad({y1}, p1, {gy}), g2 = torch::autograd::grad({y2}, p2, {gy});
    for (size_t i = 0; i < g1.size(); ++i) EXPECT_TRUE(torch::equal(g1[i], g2[i])) << i;
  }
}

TEST(PrunedConv2d, SecondDerivativesEqualTheModulesBitForBit) {
  for (const auto& g : kGeometries) {
    SCOPED_TRACE(name(g));
    torch::manual_seed(1);
    auto conv = make_conv(g);
    auto x = torch::randn({2, g.in, 9, 9});
    auto target = torch::randn_like(conv->forward(x));
    for (bool all_terms : {false, true}) {
      const auto want = second_order(conv, false, x, target, all_terms);
      const auto got = second_order(conv, true, x, target, all_terms);
      ASSERT_EQ(want.size(), got.size());
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_GT(want[i].abs().max().item<double>(), 0) << i;  // a term that is really there
        EXPECT_TRUE(torch::equal(want[i], got[i])) << "term " << i << ", max abs difference "
                                                   << (want[i] - got[i]).abs().max().item<double>();
      }
    }
  }
}

TEST(PrunedConv2d, FallsBackToTheModuleWithoutGradModeUnderAutocastAndForOtherPaddingModes) {
  torch::manual_seed(2);
  auto conv = make_conv(kGeometries[0]);
  auto x = torch::randn({1, 6, 5, 5});
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(pruned_conv2d(*conv, x), conv->forward(x)));
  }
  auto y = pruned_conv2d(*conv, x);
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_NE(y.grad_fn()->name().find("PrunedConvolution"), std::string::npos)
      << y.grad_fn()->name();
  auto reflect =
      torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 6, 3).padding(1).padding_mode(torch::kReflect));
  EXPECT_TRUE(torch::equal(pruned_conv2d(*reflect, x), reflect->forward(x)));
  const auto node = pruned_conv2d(*reflect, x).grad_fn()->name();
  EXPECT_EQ(node.find("PrunedConvolution"), std::string::npos) << node;
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(true);
  const auto under_autocast = pruned_conv2d(*conv, x.clone().requires_grad_(true));
  const auto module_under_autocast = conv->forward(x);
  at::autocast::set_cpu_enabled(false);
  at::autocast::clear_cache();
  EXPECT_TRUE(torch::equal(under_autocast, module_under_autocast));
  EXPECT_EQ(under_autocast.grad_fn()->name().find("PrunedConvolution"), std::string::npos);
}

// DeepLab's ASPP on small maps: a 3x3 "same" convolution dilated past the input in an axis keeps
// only the taps that reach the input there. Against the module in float64: the same forward pass,
// gradients and second-order terms up to summation order; the dead taps' weight gradient exactly
// zero; the weight reaches the convolution through a slice exactly where taps were dropped.
TEST(PrunedConv2d, TapsThatOnlyReachThePaddingAreDropped) {
  struct Case {
    int64_t h, w;
    bool dropped;
  };
  for (const auto& c : {Case{8, 8, true}, Case{8, 16, true}, Case{16, 16, false}}) {
    SCOPED_TRACE(std::to_string(c.h) + "x" + std::to_string(c.w));
    torch::manual_seed(3);
    auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 3, 3).padding(12).dilation(12));
    conv->to(torch::kFloat64);
    const auto x = torch::randn({2, 4, c.h, c.w}, torch::kFloat64);
    auto x1 = x.clone().requires_grad_(true), x2 = x.clone().requires_grad_(true);
    const auto want = conv->forward(x1), got = pruned_conv2d(*conv, x2);
    const auto close = [](const torch::Tensor& a, const torch::Tensor& b) {
      return (a - b).abs().max().item<double>() <= 1e-12 * (1 + b.abs().max().item<double>());
    };
    EXPECT_TRUE(close(got, want));
    const auto weight_node = got.grad_fn()->next_edges()[1].function->name();
    EXPECT_EQ(weight_node.find("AccumulateGrad") == std::string::npos, c.dropped) << weight_node;
    const auto gy = torch::randn_like(want);
    const auto g1 = torch::autograd::grad({want}, {x1, conv->weight, conv->bias}, {gy});
    const auto g2 = torch::autograd::grad({got}, {x2, conv->weight, conv->bias}, {gy});
    for (size_t i = 0; i < g1.size(); ++i) EXPECT_TRUE(close(g2[i], g1[i])) << i;
    if (c.h == 8) {  // every top and bottom tap is on the padding
      EXPECT_EQ(g2[1].select(2, 0).abs().max().item<double>(), 0.0);
      EXPECT_EQ(g2[1].select(2, 2).abs().max().item<double>(), 0.0);
    }
    const auto target = torch::randn_like(want);
    for (bool all_terms : {false, true}) {
      const auto w2 = second_order(conv, false, x, target, all_terms);
      const auto p2 = second_order(conv, true, x, target, all_terms);
      for (size_t i = 0; i < w2.size(); ++i) EXPECT_TRUE(close(p2[i], w2[i])) << "term " << i;
    }
  }
}

// A dilated convolution gets its input in its weight's layout: a channels-last input gives the
// plain input's numbers bit for bit.
TEST(PrunedConv2d, ADilatedConvolutionTakesItsInputInItsWeightsLayout) {
  torch::manual_seed(4);
  auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 8, 3).padding(2).dilation(2));
  const auto x = torch::randn({2, 16, 9, 9});
  const auto y = pruned_conv2d(*conv, x.contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(y, pruned_conv2d(*conv, x)));
  EXPECT_TRUE(y.is_contiguous());
}

// Relative distance of two tensors.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).norm() / b.norm()).item<double>();
}

// Fast mode's phase A: under the guard, a convolution with nothing to differentiate runs in
// bfloat16 (float32 out, bfloat16's rounding in it), and every call is the module's float32 bit
// for bit once the guard is gone.
TEST(PrunedConv2d, FrozenConvolutionsRunInBfloat16UnderTheGuardOnly) {
  torch::manual_seed(3);
  auto conv = make_conv(kGeometries[2]);  // strided, no bias
  auto with_bias = make_conv(kGeometries[0]);
  const auto x = torch::randn({2, 6, 9, 9});
  for (auto* c : {&conv, &with_bias}) {
    auto& m = **c;
    const auto exact = m.forward(x).detach();
    for (auto& p : m.parameters()) p.set_requires_grad(false);
    torch::Tensor frozen, frozen_after;
    {
      const ConvolutionsInBf16 guard(true);
      frozen = pruned_conv2d(m, x);
    }
    frozen_after = pruned_conv2d(m, x);
    ASSERT_EQ(frozen.scalar_type(), torch::kFloat32);
    const double err = relative_error(frozen, exact);
    EXPECT_GT(err, 0.0) << "bfloat16 did not run";
    EXPECT_LT(err, 0.02);
    EXPECT_TRUE(torch::equal(frozen_after, exact));
    const ConvolutionsInBf16 guard(true);
    const ConvolutionsInBf16 off(false);  // nested: does not turn the outer guard off
    EXPECT_FALSE(torch::equal(pruned_conv2d(m, x), exact));
  }
}

// A matched layer under the guard: its output, its weight gradient and the second-order term
// phase A needs (the weight gradient differentiated into the incoming gradient) are bfloat16's
// rounding of float32's, and arrive in float32 (the weight's and the input's types).
TEST(PrunedConv2d, MatchedConvolutionsRunTheirDoubleBackwardInBfloat16UnderTheGuard) {
  torch::manual_seed(5);
  for (const auto& geometry : {kGeometries[0], kGeometries[2]}) {
    auto m = make_conv(geometry);
    const auto x = torch::randn({2, 6, 9, 9});
    const auto v = torch::randn_like(m->weight);  // what the matching loss hands the gradient
    // y, the weight gradient for an incoming gradient u, and d<grad w, v>/du.
    auto terms = [&](bool bf16) {
      const ConvolutionsInBf16 guard(bf16);
      const auto y = pruned_conv2d(*m, x);
      const auto u = torch::randn_like(y, torch::TensorOptions().requires_grad(true));
      const auto grad_w = torch::autograd::grad({y}, {m->weight}, {u}, true, true)[0];
      const auto grad_u = torch::autograd::grad({(grad_w * v).sum()}, {u})[0];
      return std::vector<torch::Tensor>{y.detach(), grad_w.detach(), grad_u};
    };
    torch::manual_seed(6);
    const auto exact = terms(false);
    torch::manual_seed(6);
    const auto fast = terms(true);
    for (size_t i = 0; i < exact.size(); ++i) {
      ASSERT_EQ(fast[i].scalar_type(), torch::kFloat32) << "term " << i;
      const double err = relative_error(fast[i], exact[i]);
      EXPECT_GT(err, 0.0) << "term " << i << ": bfloat16 did not run";
      EXPECT_LT(err, 0.02) << "term " << i;
    }
  }
}

}  // namespace
}  // namespace lagm::nn

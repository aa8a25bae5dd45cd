// pruned_batch_norm against the module's own forward: the output, the running statistics and the
// first derivatives bit for bit; the second derivative gradient matching takes (through the
// layer's weight and bias gradients into what made the loss's target) equal to a float64
// evaluation within float32 rounding, like LibTorch's own; and the second-order terms it does not
// prune (with respect to the input and the weight) LibTorch's, bit for bit, and all of them
// within float32 rounding of float64 where they also flow through the output-gradient term.
#include "lagm/nn/pruned_batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "lagm/nn/sync_batch_norm.h"

namespace lagm::nn {
namespace {

torch::nn::BatchNorm2d make_bn(int64_t channels, uint64_t seed) {
  torch::manual_seed(seed);
  torch::nn::BatchNorm2d bn(channels);
  torch::NoGradGuard no_grad;
  bn->weight.uniform_(0.5, 1.5);
  bn->bias.uniform_(-0.5, 0.5);
  return bn;
}

// Gradient matching's shape of computation around one BatchNorm layer: a loss whose output
// gradient depends on `target` (A's labels) and whose input depends on `h` (S's activations,
// which require grad); the matching loss is a function of the layer's weight and bias gradients.
// Returns d(match)/d(target), and d(match)/d(h) and d(match)/d(weight) when `all_terms`. With
// `output_gradient_of_y` false the loss is linear in y, so that d/dh and d/dweight come from the
// double backward's input and weight terms alone (not also through the output-gradient term).
std::vector<torch::Tensor> second_order(torch::nn::BatchNorm2d& bn, bool pruned,
                                        const torch::Tensor& x, const torch::Tensor& target,
                                        bool all_terms, bool output_gradient_of_y = true) {
  auto h = x.detach().clone().requires_grad_(true);
  auto t = target.detach().clone().requires_grad_(true);
  const auto input = h.tanh();
  auto y = pruned ? pruned_batch_norm(*bn, input) : bn->forward(input);
  auto loss = output_gradient_of_y ? (y * t).sin().mean() : (y * t).mean();
  auto grads = torch::autograd::grad({loss}, {h, bn->weight, bn->bias}, {}, true, true);
  auto match = grads[1].pow(3).sum() + grads[2].square().sum() * 0.5 + (grads[0] * x).sum();
  std::vector<torch::Tensor> wrt = {t};
  if (all_terms) wrt.insert(wrt.end(), {h, bn->weight});
  return torch::autograd::grad({match}, wrt);
}

TEST(PrunedBatchNorm, ForwardStatisticsAndGradientsEqualTheModulesBitForBit) {
  auto module = make_bn(5, 0), pruned = make_bn(5, 0);
  const auto x = torch::randn({3, 5, 7, 6}) * 2 + 1;
  for (int step = 0; step < 2; ++step) {
    auto x1 = x.clone().requires_grad_(true), x2 = x.clone().requires_grad_(true);
    const auto y1 = module->forward(x1), y2 = pruned_batch_norm(*pruned, x2);
    ASSERT_TRUE(torch::equal(y1, y2));
    EXPECT_TRUE(torch::equal(module->running_mean, pruned->running_mean));
    EXPECT_TRUE(torch::equal(module->running_var, pruned->running_var));
    EXPECT_TRUE(torch::equal(module->num_batches_tracked, pruned->num_batches_tracked));
    const auto gy = torch::randn_like(y1);
    const auto g1 = torch::autograd::grad({y1}, {x1, module->weight, module->bias}, {gy});
    const auto g2 = torch::autograd::grad({y2}, {x2, pruned->weight, pruned->bias}, {gy});
    for (size_t i = 0; i < g1.size(); ++i) EXPECT_TRUE(torch::equal(g1[i], g2[i])) << i;
  }
  EXPECT_NE(pruned_batch_norm(*pruned, x.clone().requires_grad_(true))
                .grad_fn()
                ->name()
                .find("PrunedBatchNorm"),
            std::string::npos);
}

TEST(PrunedBatchNorm, SecondDerivativeIntoTheTargetMatchesFloat64LikeLibTorchs) {
  for (const uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto bn = make_bn(4, seed);
    const auto x = torch::randn({2, 4, 9, 8}) * 3 - 1;
    const auto target = torch::randn({2, 4, 9, 8});
    const auto libtorch = second_order(bn, false, x, target, false)[0];
    const auto pruned = second_order(bn, true, x, target, false)[0];
    auto bn64 = make_bn(4, seed);
    bn64->to(torch::kFloat64);
    const auto exact =
        second_order(bn64, false, x.to(torch::kFloat64), target.to(torch::kFloat64), false)[0];
    const double scale = exact.abs().max().item<double>();
    ASSERT_GT(scale, 0);
    const double libtorch_error = (libtorch.to(torch::kFloat64) - exact).abs().max().item<double>();
    const double pruned_error = (pruned.to(torch::kFloat64) - exact).abs().max().item<double>();
    EXPECT_LT(pruned_error, 1e-5 * scale);
    // Not worse than LibTorch's own float32 rounding by more than a small factor.
    EXPECT_LT(pruned_error, 4 * libtorch_error + 1e-7 * scale);
  }
}

TEST(PrunedBatchNorm, UnprunedSecondOrderTermsAreLibTorchsBitForBit) {
  auto bn = make_bn(3, 4);
  const auto x = torch::randn({2, 3, 6, 6});
  const auto target = torch::randn({2, 3, 6, 6});
  const auto want = second_order(bn, false, x, target, true, false);
  const auto got = second_order(bn, true, x, target, true, false);
  ASSERT_EQ(want.size(), 3U);
  for (size_t i = 1; i < want.size(); ++i) {
    EXPECT_GT(want[i].abs().max().item<double>(), 0) << i;
    EXPECT_TRUE(torch::equal(want[i], got[i])) << "term " << i;
  }
}

TEST(PrunedBatchNorm, EveryTermMatchesFloat64WhereTheOutputGradientDependsOnTheOutput) {
  auto bn = make_bn(3, 6);
  const auto x = torch::randn({2, 3, 6, 5}) * 2;
  const auto target = torch::randn({2, 3, 6, 5});
  const auto got = second_order(bn, true, x, target, true);
  auto bn64 = make_bn(3, 6);
  bn64->to(torch::kFloat64);
  const auto exact =
      second_order(bn64, false, x.to(torch::kFloat64), target.to(torch::kFloat64), true);
  for (size_t i = 0; i < got.size(); ++i) {
    const double scale = exact[i].abs().max().item<double>();
    ASSERT_GT(scale, 0) << i;
    EXPECT_LT((got[i].to(torch::kFloat64) - exact[i]).abs().max().item<double>(), 1e-5 * scale)
        << "term " << i;
  }
}

TEST(PrunedBatchNorm, BatchNormTakesItUnderTheGuardOnlyAndFallsBackWhereNothingIsRecorded) {
  auto bn = make_bn(3, 5);
  const auto x = torch::randn({2, 3, 4, 4}).requires_grad_(true);
  const auto node = [](const torch::Tensor& y) {
    return y.grad_fn() ? y.grad_fn()->name() : std::string("none");
  };
  EXPECT_EQ(node(batch_norm(*bn, x)).find("PrunedBatchNorm"), std::string::npos);
  {
    const PrunedBatchNormDoubleBackward guard(true);
    EXPECT_NE(node(batch_norm(*bn, x)).find("PrunedBatchNorm"), std::string::npos);
    const PrunedBatchNormDoubleBackward off(false);  // nested: does not turn the outer guard off
    EXPECT_NE(node(batch_norm(*bn, x)).find("PrunedBatchNorm"), std::string::npos);
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(batch_norm(*bn, x), bn->forward(x)));
  }
  EXPECT_EQ(node(batch_norm(*bn, x)).find("PrunedBatchNorm"), std::string::npos);
  bn->eval();
  const PrunedBatchNormDoubleBackward guard(true);
  EXPECT_EQ(node(batch_norm(*bn, x)).find("PrunedBatchNorm"), std::string::npos);
}

}  // namespace
}  // namespace lagm::nn

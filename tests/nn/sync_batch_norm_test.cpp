// Synchronized BatchNorm with one process is BatchNorm: outputs, gradients and running statistics.
#include "lagm/nn/sync_batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <optional>

namespace {

// The sum over a world of one process, counting its calls. Like an all-reduce, its result carries
// no autograd graph: what is differentiable is up to the synchronized layer.
struct OneProcess : lagm::nn::CrossProcessSum {
  int calls = 0;
  torch::Tensor sum(const torch::Tensor& local) override {
    ++calls;
    return local.detach().clone();
  }
};

TEST(SyncBatchNorm, OneProcessMatchesBatchNormIncludingGradientsAndRunningStatistics) {
  torch::manual_seed(3);
  torch::nn::BatchNorm2d plain(4), synced(4);
  {
    torch::NoGradGuard no_grad;
    plain->weight.uniform_(0.5, 1.5), plain->bias.uniform_(-1, 1);
    synced->weight.copy_(plain->weight), synced->bias.copy_(plain->bias);
  }
  const auto x = (torch::randn({3, 4, 5, 6}) * 2 + 1).requires_grad_();
  const auto x2 = x.detach().clone().requires_grad_();
  const auto upstream = torch::randn({3, 4, 5, 6});
  const auto y_plain = plain->forward(x);
  OneProcess world;
  torch::Tensor y_synced;
  {
    lagm::nn::SyncBatchNormScope scope(world);
    y_synced = lagm::nn::batch_norm(synced, x2);
  }
  EXPECT_GT(world.calls, 0);
  EXPECT_TRUE(torch::allclose(y_synced, y_plain, 1e-5, 1e-5));
  (y_plain * upstream).sum().backward();
  (y_synced * upstream).sum().backward();
  EXPECT_EQ(world.calls, 2);  // the statistics' sum, then its gradient
  EXPECT_TRUE(torch::allclose(x2.grad(), x.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(synced->weight.grad(), plain->weight.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(synced->bias.grad(), plain->bias.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(synced->running_mean, plain->running_mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(synced->running_var, plain->running_var, 1e-5, 1e-6));
  EXPECT_EQ(synced->num_batches_tracked.item<int64_t>(), 1);
}

TEST(SyncBatchNorm, WithoutAScopeOrInEvalModeItIsThePlainLayer) {
  torch::nn::BatchNorm2d bn(2);
  const auto x = torch::randn({2, 2, 3, 3});
  OneProcess world;
  EXPECT_TRUE(torch::equal(lagm::nn::batch_norm(bn, x), bn->forward(x)));
  bn->eval();
  lagm::nn::SyncBatchNormScope scope(world);
  EXPECT_TRUE(torch::equal(lagm::nn::batch_norm(bn, x), bn->forward(x)));
  EXPECT_EQ(world.calls, 0);
}

// Phase I differentiates a gradient: the matching loss's second derivative must cross the
// cross-process sum too. With one process it is BatchNorm's own second derivative.
TEST(SyncBatchNorm, SecondDerivativesAreBatchNormsAndCrossTheSum) {
  torch::manual_seed(5);
  torch::nn::BatchNorm2d plain(3), synced(3);
  {
    torch::NoGradGuard no_grad;
    plain->weight.uniform_(0.5, 1.5), plain->bias.uniform_(-1, 1);
    synced->weight.copy_(plain->weight), synced->bias.copy_(plain->bias);
  }
  const auto x = torch::randn({2, 3, 4, 4}).requires_grad_();
  const auto x2 = x.detach().clone().requires_grad_();
  const auto upstream = torch::randn({2, 3, 4, 4});
  // A gradient with its graph, then a function of it differentiated again.
  auto second = [&](torch::nn::BatchNorm2d& bn, const torch::Tensor& input, bool sync) {
    OneProcess world;
    std::optional<lagm::nn::SyncBatchNormScope> scope;
    if (sync) scope.emplace(world);
    const auto y = sync ? lagm::nn::batch_norm(bn, input) : bn->forward(input);
    // The gradient with respect to the input goes back through the statistics (the sum's
    // backward, recorded); differentiating it again goes back through that backward.
    const auto g = torch::autograd::grad({(y.square() * upstream).sum()}, {input}, {},
                                         /*retain_graph=*/true, /*create_graph=*/true)[0];
    (g.square() * upstream).sum().backward();
    return world.calls;
  };
  second(plain, x, false);
  const int calls = second(synced, x2, true);
  EXPECT_GT(calls, 2);  // the forward pass's sum, its backward, and that backward's backward
  EXPECT_TRUE(torch::allclose(x2.grad(), x.grad(), 1e-3, 1e-4))
      << (x2.grad() - x.grad()).abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(synced->weight.grad(), plain->weight.grad(), 1e-3, 1e-4));
}

TEST(SyncBatchNorm, ForwardSequentialRoutesBatchNormAndIsTheSequentialOtherwise) {
  torch::manual_seed(6);
  torch::nn::Sequential seq(torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 3, 3).padding(1)),
                            torch::nn::BatchNorm2d(3), torch::nn::ReLU());
  const auto x = torch::randn({2, 2, 5, 5});
  EXPECT_TRUE(torch::equal(lagm::nn::forward_sequential(*seq, x), seq->forward(x)));
  OneProcess world;
  const lagm::nn::SyncBatchNormScope scope(world);
  const auto y = lagm::nn::forward_sequential(*seq, x);
  EXPECT_EQ(world.calls, 1);  // the BatchNorm layer went through the cross-process sum
  EXPECT_TRUE(torch::allclose(y, seq->forward(x), 1e-5, 1e-5));
}

}  // namespace

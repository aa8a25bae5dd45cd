// The MAML learner's meta gradient (reverse mode through the unrolled SGD steps, parameters set by
// value) equals the gradient autograd gives through an explicitly unrolled functional computation
// (every inner step kept in one graph), for k = 1, 2, 3; first-order MAML, which drops the Hessian
// term, does not (so the comparison can tell).
#include "lagm/matching/unrolled_learner.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lagm/core/error.h"
#include "lagm/matching/gm_step.h"

namespace matching = lagm::matching;
namespace train = lagm::train;
namespace F = torch::nn::functional;

namespace {

constexpr int64_t kClasses = 3;

// S: conv 3x3 (3 -> 4), tanh, conv 1x1 (4 -> K), written on explicit parameters.
torch::Tensor segmenter(const torch::Tensor& x, const std::vector<torch::Tensor>& p) {
  return F::conv2d(torch::tanh(F::conv2d(x, p[0], F::Conv2dFuncOptions().bias(p[1]).padding(1))),
                   p[2], F::Conv2dFuncOptions().bias(p[3]));
}

struct Problem {
  std::vector<torch::Tensor> theta;  // S's parameters (leaves)
  torch::Tensor a_weight;            // A: a 1x1 conv from 5 feature channels to K logits
  torch::Tensor features, syn_images, label_images, label_masks;

  explicit Problem(uint64_t seed) {
    torch::manual_seed(seed);
    theta = {0.4 * torch::randn({4, 3, 3, 3}), 0.1 * torch::randn({4}),
             0.5 * torch::randn({kClasses, 4, 1, 1}), 0.1 * torch::randn({kClasses})};
    for (auto& t : theta) t.requires_grad_(true);
    a_weight = torch::randn({kClasses, 5, 1, 1}).requires_grad_(true);
    features = torch::randn({2, 5, 6, 6});
    syn_images = torch::randn({2, 3, 6, 6});
    label_images = torch::randn({2, 3, 6, 6});
    label_masks = torch::randint(kClasses, {2, 6, 6});
  }
  torch::Tensor probs(bool outer_graph) const {
    const auto w = outer_graph ? a_weight : a_weight.detach();
    return torch::softmax(F::conv2d(features, w), 1);
  }
  torch::Tensor inner_loss(const std::vector<torch::Tensor>& p, bool outer_graph) const {
    return train::soft_cross_entropy(segmenter(syn_images, p), probs(outer_graph));
  }
  torch::Tensor meta_loss(const std::vector<torch::Tensor>& p) const {
    return F::cross_entropy(segmenter(label_images, p), label_masks);
  }
};

struct Explicit {
  torch::Tensor grad;  // d meta(theta_k) / d A
  double meta_loss = 0;
};

// The meta gradient with every step in one graph (what MAML's definition says).
Explicit explicit_meta_gradient(const Problem& pr, int64_t k, double lr, bool first_order) {
  std::vector<torch::Tensor> p;
  for (const auto& t : pr.theta) p.push_back(t.detach().clone().requires_grad_(true));
  for (int64_t t = 0; t < k; ++t) {
    const auto g = torch::autograd::grad({pr.inner_loss(p, true)}, p, {}, true,
                                         /*create_graph=*/true);
    std::vector<torch::Tensor> next;
    for (size_t i = 0; i < p.size(); ++i) {
      // First-order MAML: theta_t enters the next step as a constant (no Hessian term).
      const auto base = first_order ? p[i].detach() : p[i];
      next.push_back(base - lr * g[i]);
    }
    p = next;
  }
  const auto loss = pr.meta_loss(p);
  return {torch::autograd::grad({loss}, {pr.a_weight})[0], loss.item<double>()};
}

torch::Tensor unrolled_meta_gradient(Problem& pr, int64_t k, double lr,
                                     matching::UnrolledResult* out) {
  pr.a_weight.mutable_grad() = torch::Tensor();
  const auto r = matching::unrolled_meta_backward(
      pr.theta, {pr.a_weight}, [&](bool outer) { return pr.inner_loss(pr.theta, outer); },
      [&] { return pr.meta_loss(pr.theta); }, {k, lr});
  if (out) *out = r;
  return pr.a_weight.grad().clone();
}

}  // namespace

TEST(UnrolledLearner, MetaGradientEqualsTheExplicitlyUnrolledOneForOneTwoAndThreeSteps) {
  for (const int64_t k : {1, 2, 3}) {
    Problem pr(7 + k);
    const double lr = 0.5;  // large enough that the steps move S and the Hessian term matters
    std::vector<torch::Tensor> start;
    for (const auto& t : pr.theta) start.push_back(t.detach().clone());
    matching::UnrolledResult r;
    const auto ours = unrolled_meta_gradient(pr, k, lr, &r);
    const auto exact = explicit_meta_gradient(pr, k, lr, /*first_order=*/false);
    const auto& expected = exact.grad;
    const double scale = expected.abs().max().item<double>();
    ASSERT_GT(scale, 1e-4) << "k=" << k;
    EXPECT_LT((ours - expected).abs().max().item<double>(), 1e-5 * scale) << "k=" << k;
    if (k >= 2) {  // the Hessian term is what makes them equal
      const auto first_order = explicit_meta_gradient(pr, k, lr, /*first_order=*/true).grad;
      EXPECT_GT((ours - first_order).abs().max().item<double>(), 1e-3 * scale) << "k=" << k;
    }
    // S's parameters hold their starting values again; the losses are the ones at theta_0/theta_k.
    for (size_t i = 0; i < start.size(); ++i) EXPECT_TRUE(torch::equal(pr.theta[i], start[i]));
    EXPECT_NEAR(r.meta_loss_first, pr.meta_loss(pr.theta).item<double>(), 1e-6);
    EXPECT_NEAR(r.inner_loss_first, pr.inner_loss(pr.theta, false).item<double>(), 1e-6);
    EXPECT_NEAR(r.meta_loss, exact.meta_loss, 1e-5);
  }
}

TEST(UnrolledLearner, GradientIsAddedToWhatTheOuterParametersHold) {
  Problem pr(3);
  const auto once = unrolled_meta_gradient(pr, 1, 0.1, nullptr);
  pr.a_weight.mutable_grad() = torch::ones_like(pr.a_weight);
  matching::unrolled_meta_backward(
      pr.theta, {pr.a_weight}, [&](bool outer) { return pr.inner_loss(pr.theta, outer); },
      [&] { return pr.meta_loss(pr.theta); }, {1, 0.1});
  EXPECT_TRUE(torch::allclose(pr.a_weight.grad(), once + 1, 1e-5, 1e-6));
}

TEST(UnrolledLearner, ZeroInnerStepsIsRefused) {
  Problem pr(1);
  EXPECT_THROW(matching::unrolled_meta_backward(
                   pr.theta, {pr.a_weight}, [&](bool o) { return pr.inner_loss(pr.theta, o); },
                   [&] { return pr.meta_loss(pr.theta); }, {0, 0.1}),
               lagm::InputError);
}

// Exact mode's phase A runs A twice: once without its graph, its labels entering S's double
// backward as a leaf, and again once that backward is done, the leaf's gradient taken on through
// it. A's gradient must be the one-graph gradient (A's forward kept through S's passes, one
// backward into A's parameters, the reference's loop) bit for bit, with the pull's term too.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fixtures.h"
#include "lagm/io/image.h"
#include "lagm/matching/gm_step.h"
#include "lagm/matching/gradient_matching.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"
#include "lagm/train/segmentation_loss.h"
#include "test_support.h"

namespace matching = lagm::matching;

TEST(GradientMatchingStep, AnnotatorRunTwiceGivesTheOneGraphGradientBitForBit) {
  const auto dir = lagm::test::fresh_temp_dir("annotator_rerun").string();
  auto g = lagm::test::small_feature_generator(dir);
  const int64_t k = 3;
  torch::manual_seed(0);
  auto a = lagm::test::small_annotator(*g, k);
  auto s = lagm::test::small_unet(k);
  auto labeller = lagm::test::unit_scale_labeller(k);
  // Learning rate 0: the step leaves A and S as they were for the computation by hand below.
  torch::optim::SGD opt_a(a->parameters(), torch::optim::SGDOptions(0.0));
  torch::optim::SGD opt_s(s.module().parameters(), torch::optim::SGDOptions(0.0));
  matching::GradientMatchingStep step(*g, a, s, opt_a, opt_s, ".*", matching::MatcherOptions{});
  const double weight = 1.5;
  step.set_pseudo_labeller(&labeller, weight);
  step.begin_training();
  const auto x = torch::rand({2, 3, 32, 32});
  const auto y = torch::randint(0, k, {2, 32, 32}, torch::kInt64);
  const auto z = torch::randn({2, g->z_dim()});
  torch::manual_seed(7);
  const auto phase = step.annotator_phase(x, y, z);
  std::vector<torch::Tensor> step_grads;
  for (const auto& grad : phase.annotator_grads) step_grads.push_back(grad.clone());

  // By hand, in one graph: S's gradient on the labelled batch, then A's labels differentiable
  // through S's gradient on the generated batch and the pull, one backward into A's parameters.
  s.module().train();
  a->train();
  for (auto& p : a->parameters()) p.set_requires_grad(true);
  const auto params = s.module().parameters();
  for (auto& p : params) p.set_requires_grad(true);
  const auto loss_label = lagm::train::labelled_cross_entropy(s.forward(x), y, {});
  auto g_label = torch::autograd::grad({loss_label}, params);
  for (auto& grad : g_label) grad = grad.detach();
  torch::manual_seed(7);
  const auto batch = g->generate(z);
  const auto logits = a->forward(batch.features);
  const auto loss_syn =
      lagm::train::soft_cross_entropy(s.forward(batch.img), torch::softmax(logits, 1), {});
  auto g_syn = torch::autograd::grad({loss_syn}, params, {}, /*retain_graph=*/true,
                                     /*create_graph=*/true);
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    target = labeller.forward(lagm::io::as_synthesized(batch.img)).argmax(1);
  }
  ASSERT_GT(std::get<0>(at::_unique(target)).numel(), 1) << "the labeller gives one class only";
  const auto pull = weight * torch::nn::functional::cross_entropy(logits, target);
  for (auto& p : a->parameters()) p.mutable_grad() = torch::Tensor();
  const double loss_gm = matching::backward_gradient_match(
      std::move(g_syn), std::move(g_label), pull, matching::MatcherOptions{}, a->parameters());

  EXPECT_EQ(phase.loss_gm, loss_gm);
  EXPECT_EQ(phase.loss_synthetic, loss_syn.item<double>());
  const auto by_hand = a->parameters();
  ASSERT_EQ(step_grads.size(), by_hand.size());
  double largest = 0;
  for (size_t p = 0; p < by_hand.size(); ++p) {
    ASSERT_TRUE(by_hand[p].grad().defined()) << "A's parameter " << p;
    largest = std::max(largest, step_grads[p].abs().max().item<double>());
    EXPECT_TRUE(torch::equal(step_grads[p], by_hand[p].grad()))
        << "A's parameter " << p << ": largest difference "
        << (step_grads[p] - by_hand[p].grad()).abs().max().item<double>();
  }
  EXPECT_GT(largest, 1e-6) << "A's gradient vanished: the test would prove nothing";
}

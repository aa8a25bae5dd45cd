#include "lagm/matching/gradient_matching.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lagm/annotator/transform_pipe.h"
#include "lagm/core/error.h"

namespace annotator = lagm::annotator;
namespace matching = lagm::matching;

TEST(GradientMatching, IdenticalGradientsHaveZeroCosineDistance) {
  auto w = torch::randn({4, 3, 3, 3});
  EXPECT_NEAR(matching::gradient_distance(w, w, {}).item<float>(), 0.0f, 1e-6);
  // The mean over rows of 1 - (-1).
  EXPECT_NEAR(matching::gradient_distance(w, -w, {}).item<float>(), 2.0f, 1e-6);
}

TEST(GradientMatching, OneDimensionalTensorsCountInTheMeanButContributeNothing) {
  auto w = torch::randn({2, 5});
  auto b = torch::randn({2});
  const double d = matching::gradient_distance(w, -w, {}).item<double>();  // 2
  auto loss = matching::gradient_match_loss({w, b}, {-w, torch::randn({2})}, {});
  EXPECT_NEAR(loss.item<double>(), d / 2, 1e-6);  // divided by 2 tensors, the bias adds 0
  matching::MatcherOptions sum;
  sum.reduction = matching::MatchReduction::kSum;
  // Rows not divided.
  EXPECT_NEAR(matching::gradient_match_loss({w, b}, {-w, b}, sum).item<double>(), 2 * 2.0, 1e-5);
}

TEST(GradientMatching, L2AndDotprodFollowTheirDefinitions) {
  auto a = torch::tensor({{1.0, 2.0}, {3.0, 4.0}});
  auto b = torch::tensor({{1.0, 0.0}, {0.0, 4.0}});
  matching::MatcherOptions l2;
  l2.metric = matching::MatchMetric::kL2;
  EXPECT_NEAR(matching::gradient_distance(a, b, l2).item<double>(), (2.0 + 3.0) / 2, 1e-9);
  matching::MatcherOptions dot;
  dot.metric = matching::MatchMetric::kDotprod;
  dot.reduction = matching::MatchReduction::kSum;
  EXPECT_NEAR(matching::gradient_distance(a, b, dot).item<double>(), -(1.0 + 16.0), 1e-9);
}

TEST(GradientMatching, CosineEpsConventionsDifferOnlyForTinyRows) {
  auto a = torch::tensor({{1e-7, 0.0}, {1.0, 2.0}}, torch::kFloat64);
  auto b = torch::tensor({{1e-7, 0.0}, {2.0, 1.0}}, torch::kFloat64);
  matching::MatcherOptions each, product;
  product.cosine_eps = matching::CosineEps::kClampProduct;
  const double row2 = 1 - 4.0 / 5.0;
  // each norm clamped: 1e-14 / (1e-6)^2 = 0.01; product clamped: 1e-14 / 1e-6 = 1e-8
  EXPECT_NEAR(matching::gradient_distance(a, b, each).item<double>(), ((1 - 0.01) + row2) / 2,
              1e-9);
  EXPECT_NEAR(matching::gradient_distance(a, b, product).item<double>(), ((1 - 1e-8) + row2) / 2,
              1e-9);
}

TEST(GradientMatching, IsDifferentiableInTheSyntheticGradient) {
  auto a = torch::randn({3, 4}, torch::requires_grad());
  auto b = torch::randn({3, 4});
  matching::gradient_match_loss({a}, {b}, {}).backward();
  ASSERT_TRUE(a.grad().defined());
  EXPECT_GT(a.grad().abs().sum().item<float>(), 0.0f);
}

namespace {

// A small phase A: "A" (a_weight) labels images that "S" (a convolution and a linear layer, with
// biases) classifies; the synthetic gradient of S's parameters is differentiable in A.
struct SmallPhaseA {
  torch::Tensor a_weight = torch::randn({4, 3, 3, 3}, torch::requires_grad());
  std::vector<torch::Tensor> s_params = {torch::randn({5, 3, 3, 3}, torch::requires_grad()),
                                         torch::randn({5}, torch::requires_grad()),
                                         torch::randn({4, 5}, torch::requires_grad())};
  torch::Tensor images = torch::randn({2, 3, 8, 8});

  std::vector<torch::Tensor> synthetic_gradient() const {
    namespace F = torch::nn::functional;
    const auto labels =
        torch::softmax(F::conv2d(images, a_weight, F::Conv2dFuncOptions().padding(1)), 1);
    auto h = torch::relu(
        F::conv2d(images, s_params[0], F::Conv2dFuncOptions().padding(1).bias(s_params[1])));
    const auto logits = torch::einsum("bchw,kc->bkhw", {h, s_params[2]});
    const auto loss = -(labels * torch::log_softmax(logits, 1)).sum(1).mean();
    return torch::autograd::grad({loss}, s_params, {}, true, true);
  }
  // The pull: a second path from A's weight into the loss.
  torch::Tensor pull() const { return 0.3 * a_weight.square().sum(); }
};

}  // namespace

// One backward of the whole loss against backward_gradient_match's two steps, under `options`:
// A's gradient from each, and backward_gradient_match's loss.
struct OneAndTwoSteps {
  torch::Tensor one, two;
  double loss_one = 0, loss_two = 0;
};

OneAndTwoSteps backward_both_ways(const matching::MatcherOptions& options) {
  torch::manual_seed(3);
  const SmallPhaseA phase;
  const std::vector<torch::Tensor> real = {torch::randn({5, 3, 3, 3}), torch::randn({5}),
                                           torch::randn({4, 5})};
  OneAndTwoSteps r;
  const auto loss_one = matching::gradient_match_loss(phase.synthetic_gradient(), real, options);
  torch::autograd::backward({loss_one + phase.pull()}, {}, false, false, {phase.a_weight});
  r.loss_one = loss_one.item<double>();
  r.one = phase.a_weight.grad().clone();
  phase.a_weight.mutable_grad().reset();
  r.loss_two = matching::backward_gradient_match(
      phase.synthetic_gradient(), {real[0].clone(), real[1].clone(), real[2].clone()}, phase.pull(),
      options, {phase.a_weight});
  r.two = phase.a_weight.grad().clone();
  for (const auto& p : phase.s_params) EXPECT_FALSE(p.grad().defined());  // A's gradient only
  return r;
}

TEST(GradientMatching, TwoStepBackwardGivesOneBackwardsGradientBitForBit) {
  // Metrics whose distance autograd differentiates: the same operations, the same floats.
  for (const auto reduction : {matching::MatchReduction::kMean, matching::MatchReduction::kSum}) {
    matching::MatcherOptions options;
    options.reduction = reduction;
    options.magnitude_weight = 0.5;
    const auto r = backward_both_ways(options);
    EXPECT_EQ(r.loss_two, r.loss_one);
    EXPECT_TRUE(torch::equal(r.two, r.one));
  }
}

TEST(GradientMatching, TwoStepBackwardWithTheClosedFormCosineMatchesOneBackward) {
  for (const auto reduction : {matching::MatchReduction::kMean, matching::MatchReduction::kSum}) {
    matching::MatcherOptions options;
    options.reduction = reduction;
    const auto r = backward_both_ways(options);
    EXPECT_NEAR(r.loss_two, r.loss_one, 1e-6 * std::abs(r.loss_one));
    const double scale = r.one.abs().max().item<double>();
    ASSERT_GT(scale, 0);
    EXPECT_LT((r.two - r.one).abs().max().item<double>(), 1e-5 * scale);
  }
}

TEST(GradientMatching, PresetsResolveAndBadRegexIsAnInputError) {
  EXPECT_EQ(matching::resolve_gm_params_regex("head"), ".*classifier.*");
  EXPECT_EQ(matching::resolve_gm_params_regex("u1"), "outc.*|down1.*|up4.*");
  EXPECT_EQ(matching::resolve_gm_params_regex("up4.*"), "up4.*");
  EXPECT_THROW(matching::resolve_gm_params_regex("(unclosed"), lagm::InputError);
}

TEST(GradientMatching, NumbersTooLongForTheRegexCompilerAreInputErrors) {
  // libstdc++ parses these into a signed integer that overflows (undefined behaviour, found by
  // fuzzing): a repetition count and a back-reference of 19 digits.
  for (const std::string regex : {"a{6666688888888888888}", "(a)\\6666688888888888888"}) {
    try {
      matching::resolve_gm_params_regex(regex);
      FAIL() << regex << " was accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("more than six digits"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(matching::resolve_gm_params_regex("layer123456.*"),
            "layer123456.*");  // six digits are fine
}

TEST(GradientMatching, PatternsTooLongOrTooDeepForTheRegexCompilerAreInputErrors) {
  // libstdc++ compiles a regex recursively, one frame per term and per nested group: a long or
  // deeply nested pattern overflows the stack (found by fuzzing). Both are refused before it
  // parses, with the reason; an escaped or bracketed ')' does not hide a group's depth.
  const std::string deep = std::string(40, '(') + "a" + std::string(40, ')');
  const std::string hidden = [] {
    std::string s;
    for (int i = 0; i < 40; ++i) s += "([)]\\)";
    return s + "a" + std::string(40, ')');
  }();
  const std::string long_sequence(2000, 'a');
  for (const auto& [regex, reason] :
       std::vector<std::pair<std::string, std::string>>{{deep, "nested more than 32 deep"},
                                                        {hidden, "nested more than 32 deep"},
                                                        {long_sequence, "at most 1024"}}) {
    try {
      matching::resolve_gm_params_regex(regex);
      FAIL() << regex.substr(0, 60) << " was accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
  }
  // Nesting within the bound and balanced groups in sequence are fine.
  const std::string shallow = std::string(8, '(') + "up4" + std::string(8, ')') + ".*";
  EXPECT_EQ(matching::resolve_gm_params_regex(shallow), shallow);
  std::string many_groups;
  for (int i = 0; i < 60; ++i) many_groups += "(a)";
  EXPECT_EQ(matching::resolve_gm_params_regex(many_groups), many_groups);
}

TEST(TransformPipe, WideCropThenLegacyNearestResizeOnImagesAndLogits) {
  annotator::TransformOptions t;
  t.wide_crop = true;
  t.resize = std::array<int64_t, 2>{6, 8};
  auto img = torch::arange(64, torch::kFloat32).view({1, 1, 8, 8}).expand({2, 3, 8, 8});
  auto y = torch::arange(64, torch::kFloat32).view({1, 1, 8, 8}).expand({2, 4, 8, 8});
  auto [a, b] = annotator::apply_transform(t, img, y);
  EXPECT_EQ(a.sizes(), torch::IntArrayRef({2, 3, 6, 8}));
  EXPECT_EQ(b.sizes(), torch::IntArrayRef({2, 4, 6, 8}));
  EXPECT_EQ(a[0][0][0][0].item<float>(), 8.0f);  // crop keeps rows 1..6 of 8, then 6 -> 6 rows
  EXPECT_TRUE(annotator::TransformOptions().is_identity());
}

// The magnitude term: (log |x_row| - log |y_row|)^2 per row, added to the cosine distance with the
// same reduction; it sees a row ten times too small, which the cosine does not.
TEST(GradientMatching, MagnitudeTermAddsSquaredLogRatioOfRowNorms) {
  auto a = torch::randn({3, 5}, torch::kFloat64);
  auto b = a.clone();
  b[1] *= 10;  // same direction, ten times the norm
  matching::MatcherOptions plain, magnitude;
  magnitude.magnitude_weight = 0.5;
  EXPECT_NEAR(matching::gradient_distance(a, b, plain).item<double>(), 0.0, 1e-9);
  const double ln10 = std::log(10.0);
  EXPECT_NEAR(matching::gradient_distance(a, b, magnitude).item<double>(), 0.5 * ln10 * ln10 / 3,
              1e-9);
  EXPECT_NEAR(matching::gradient_distance(a, a, magnitude).item<double>(), 0.0, 1e-9);
  // Differentiable, and its gradient grows the small row.
  auto x = a.clone().requires_grad_(true);
  matching::gradient_distance(x, b, magnitude).backward();
  EXPECT_LT((x.grad()[1] * a[1]).sum().item<double>(),
            0.0);  // descent direction points along +a[1]
}

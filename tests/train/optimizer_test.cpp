#include "lagm/train/optimizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "lagm/core/error.h"

namespace lt = lagm::train;

namespace {

// One parameter [2] with a fixed gradient per step: grad = (step + 1) * [0.5, -1].
void take_step(torch::optim::Optimizer& opt, torch::Tensor& p, int step) {
  p.mutable_grad() = torch::tensor({0.5, -1.0}) * (step + 1);
  opt.step();
}

}  // namespace

TEST(Optimizer, AdamFirstStepMovesEachWeightByTheLearningRate) {
  // Adam's first step is lr * m_hat / (sqrt(v_hat) + eps) = lr * g / (|g| + eps): lr * sign(g).
  auto p = torch::tensor({1.0, 2.0}).requires_grad_(true);
  lt::OptimizerConfig c;
  c.kind = lt::OptimizerKind::kAdam;
  c.lr = 0.1;
  auto opt = lt::make_optimizer(c, {p});
  take_step(*opt, p, 0);
  EXPECT_NEAR(p[0].item<double>(), 0.9, 1e-6);
  EXPECT_NEAR(p[1].item<double>(), 2.1, 1e-6);
}

TEST(Optimizer, SgdMomentumBufferStartsAtTheFirstGradient) {
  // PyTorch semantics: buf = g on the first step, then buf = momentum * buf + g.
  auto p = torch::tensor({0.0, 0.0}).requires_grad_(true);
  lt::OptimizerConfig c;  // sgd, lr 1e-3, momentum 0.9
  c.lr = 1.0;
  auto opt = lt::make_optimizer(c, {p});
  take_step(*opt, p, 0);  // buf = [0.5, -1]
  take_step(*opt, p, 1);  // buf = 0.9 * [0.5, -1] + [1, -2] = [1.45, -2.9]
  EXPECT_NEAR(p[0].item<double>(), -(0.5 + 1.45), 1e-6);
  EXPECT_NEAR(p[1].item<double>(), 1.0 + 2.9, 1e-6);
}

TEST(Optimizer, SavedStateResumesBitForBit) {
  for (const std::string kind : {"sgd", "adam"}) {
    lt::OptimizerConfig c;
    c.kind = kind == "adam" ? lt::OptimizerKind::kAdam : lt::OptimizerKind::kSgd;
    c.lr = 0.05;
    auto p = torch::tensor({1.0, -1.0}).requires_grad_(true);
    auto opt = lt::make_optimizer(c, {p});
    take_step(*opt, p, 0);
    take_step(*opt, p, 1);
    const auto state = lt::optimizer_state(*opt, c, {"w"}, "opt.");
    EXPECT_TRUE(
        state.contains("opt.w." + std::string(kind == "sgd" ? "momentum_buffer" : "exp_avg")))
        << kind;

    auto q = p.detach().clone().requires_grad_(true);
    auto resumed = lt::make_optimizer(c, {q});
    lt::load_optimizer_state(*resumed, c, {"w"}, state, "opt.");
    take_step(*opt, p, 2);
    take_step(*resumed, q, 2);
    EXPECT_TRUE(torch::equal(p.detach(), q.detach())) << kind;

    // Without the state the third step differs: the test would notice a state that is not loaded.
    auto fresh_p = q.detach().clone().requires_grad_(true);
    auto fresh = lt::make_optimizer(c, {fresh_p});
    take_step(*fresh, fresh_p, 2);
    EXPECT_FALSE(torch::equal(fresh_p.detach(), p.detach())) << kind;
  }
}

TEST(Optimizer, ConfigFromJsonNamesTheKeyOfABadValue) {
  try {
    lt::optimizer_config_from_json({{"kind", "rmsprop"}}, "run.json: annotator_optimizer");
    FAIL() << "an unknown kind was accepted";
  } catch (const lagm::Error& e) {
    EXPECT_NE(std::string(e.what()).find("annotator_optimizer"), std::string::npos) << e.what();
  }
  const auto c = lt::optimizer_config_from_json({{"kind", "adam"}, {"lr", 0.002}}, "x");
  EXPECT_EQ(c.kind, lt::OptimizerKind::kAdam);
  EXPECT_DOUBLE_EQ(c.lr, 0.002);
  EXPECT_EQ(lt::optimizer_config_from_json(lt::to_json(c), "x").lr, c.lr);
}

// Optimizer settings outside what the optimizers are defined for are refused by config key,
// NaN included (it passes a plain "< 0" test).
TEST(Optimizer, SettingsOutsideTheirRangesAreRefusedByKey) {
  const nlohmann::json bad[] = {
      {{"kind", "adam"}, {"lr", 1e-3}, {"betas", {0.9, 1.5}}},
      {{"kind", "adam"}, {"lr", 1e-3}, {"betas", {-0.1, 0.99}}},
      {{"kind", "adam"}, {"lr", 1e-3}, {"eps", 0}},
      {{"kind", "adam"}, {"lr", 1e-3}, {"weight_decay", -1}},
      {{"kind", "sgd"}, {"lr", 1e6}},
      {{"kind", "sgd"}, {"lr", 1e-3}, {"momentum", std::nan("")}},
  };
  for (const auto& j : bad) {
    try {
      lagm::train::optimizer_config_from_json(j, "config.segmenter_optimizer");
      ADD_FAILURE() << j.dump() << " accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("config.segmenter_optimizer.")) << j.dump();
    }
  }
  EXPECT_NO_THROW(lagm::train::optimizer_config_from_json(
      {{"kind", "adam"}, {"lr", 1e-3}, {"betas", {0.0, 0.99}}}, "ok"));
}

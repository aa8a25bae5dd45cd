// Low-memory phase A (low_memory): a forward-mode pass of S instead of the double backward. The
// same derivative as the reference's to float rounding: the reference's golden U-Net steps and its
// float64 DeepLab step pass through it, and a step leaves A's and S's BatchNorm statistics and the
// random stream (S's dropout) as the exact mode's step does.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "fixtures.h"
#include "golden_case.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/matching/annotator_train_config.h"
#include "lagm/matching/gm_step.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"
#include "test_support.h"

namespace matching = lagm::matching;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

// The case in `source` copied to a fresh folder with "low_memory": true in its case.json, run.
void expect_case_passes_in_low_memory(const fs::path& source, const std::string& name) {
  const auto dir = lagm::test::fresh_temp_dir("low_memory_" + name);
  fs::copy(source, dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  auto config = nlohmann::json::parse(lagm::core::read_file((dir / "case.json").string()));
  config["low_memory"] = true;
  lagm::core::write_file_atomic((dir / "case.json").string(), config.dump(1));
  const auto report = lagm::golden::run_golden_case(dir.string());
  ASSERT_TRUE(report.error.empty()) << report.error;
  ASSERT_GT(report.comparisons.size(), 10u);
  int failed = 0;
  for (const auto& c : report.comparisons)
    if (!c.pass && failed++ < 20)
      ADD_FAILURE() << name << ": " << c.name << " max_abs " << c.max_abs << " tol " << c.tolerance;
  fs::remove_all(dir);
}

}  // namespace

TEST(LowMemory, ReferenceGoldenUnetStepsPassThroughIt) {
  for (const std::string name : {"lagm_unet_all_r32", "lagm_unet_head_r32"})
    expect_case_passes_in_low_memory(fs::path(LAGM_GOLDEN_DIR) / name, name);
}

// DeepLabv3 (ResNet-50), in float64: exact to ~1e-10 in any summation order, so the forward-mode
// derivative must be the reference's double backward's. (The case has no dropout: the reference's
// draws are not lagm's; StepMovesWhatTheExactStepMoves covers the dropout.)
TEST(LowMemory, MatchesTheReferencesFloat64DeepLabStep) {
  const auto dir = lagm::test::fresh_temp_dir("deeplab64_case");
  auto [code, out] = lagm::test::run_command(
      "/usr/bin/python3 " + std::string(LAGM_SOURCE_DIR) + "/tools/python/make_gm_step_case.py " +
      dir.string() + " resnet50 --float64 --fpn-width 16 --a-lr 1e-3 --seed 3");
  ASSERT_EQ(code, 0) << out;
  expect_case_passes_in_low_memory(dir, "deeplab64");
  fs::remove_all(dir);
}

namespace {

struct Parts {
  lagm::models::AnnotatorFPN a{nullptr};
  lagm::models::Segmenter s;
  std::unique_ptr<torch::optim::SGD> opt_a, opt_s;
};

Parts make_low_memory_parts(const lagm::models::FeatureGenerator& g, int64_t k,
                            const nlohmann::json& segmenter) {
  torch::manual_seed(0);
  auto a = lagm::test::small_annotator(g, k);
  auto s_json = segmenter;
  s_json["num_classes"] = k;
  lagm::models::Segmenter s(lagm::models::segmenter_config_from_json(s_json, "test"));
  auto opt_a = std::make_unique<torch::optim::SGD>(a->parameters(), torch::optim::SGDOptions(0.1));
  auto opt_s =
      std::make_unique<torch::optim::SGD>(s.module().parameters(), torch::optim::SGDOptions(0.1));
  return {a, std::move(s), std::move(opt_a), std::move(opt_s)};
}

}  // namespace

// Two steps of each mode from the same start: the same losses and A's gradients to float rounding,
// the same BatchNorm statistics in A and S (one pass's worth per phase; both run twice in
// low-memory mode), the same random stream after. DeepLab's ASPP draws a dropout mask in S's
// forward: the forward-mode pass must draw the first pass's again (another mask gives A another
// gradient altogether). DeepLab is ill-conditioned in float32 (docs/golden.md): two summation
// orders part by ~1e-4 after one step and far more after two, so it is compared after one, to 2e-2
// of each gradient's largest entry (measured: 5e-5 to 2.4e-4; the first pass's dropout mask not
// drawn again: 0.6).
class LowMemoryStep : public ::testing::TestWithParam<std::string> {};

TEST_P(LowMemoryStep, MovesWhatTheExactStepMoves) {
  const bool unet = GetParam() == "unet";
  const nlohmann::json segmenter =
      unet ? nlohmann::json{{"arch", "unet"}, {"base_channels", 4}}
           : nlohmann::json{{"arch", "deeplabv3_resnet50"}, {"aspp_dropout", 0.5}};
  const auto dir = lagm::test::fresh_temp_dir("low_memory_step").string();
  auto g = lagm::test::small_feature_generator(dir);
  const int64_t k = 3;
  const auto x = torch::rand({2, 3, 32, 32}) * 2 - 1;
  const auto y = torch::randint(0, k, {2, 32, 32}, torch::kInt64);
  struct Outcome {
    std::vector<matching::AnnotatorPhaseResult> phases;
    std::vector<torch::Tensor> buffers;
    torch::Tensor next_draw;
  };
  auto run = [&](bool low_memory) {
    auto parts = make_low_memory_parts(*g, k, segmenter);
    matching::GradientMatchingStep step(*g, parts.a, parts.s, *parts.opt_a, *parts.opt_s,
                                        unet ? ".*" : ".*classifier.*", matching::MatcherOptions{});
    step.set_low_memory(low_memory);
    step.begin_training();
    torch::manual_seed(7);
    Outcome o;
    for (int i = 0; i < (unet ? 2 : 1); ++i) {
      o.phases.push_back(step.annotator_phase(x, y, torch::randn({2, g->z_dim()})));
      step.segmenter_phase(torch::randn({2, g->z_dim()}));
    }
    for (const auto& b : parts.s.module().buffers()) o.buffers.push_back(b.clone());
    for (const auto& b : parts.a->buffers()) o.buffers.push_back(b.clone());
    o.next_draw = torch::rand({4});
    return o;
  };
  const auto exact = run(false);
  const auto low = run(true);
  for (size_t i = 0; i < exact.phases.size(); ++i) {
    const auto& e = exact.phases[i];
    const auto& l = low.phases[i];
    const double loss_rtol = unet ? 1e-5 : 1e-3;
    EXPECT_NEAR(l.loss_gm, e.loss_gm, loss_rtol * std::abs(e.loss_gm)) << "step " << i;
    EXPECT_NEAR(l.loss_synthetic, e.loss_synthetic, loss_rtol * e.loss_synthetic) << "step " << i;
    ASSERT_EQ(l.annotator_grads.size(), e.annotator_grads.size());
    const double grad_rtol = unet ? 1e-3 : 2e-2;
    double largest = 0, worst = 0;
    for (size_t p = 0; p < e.annotator_grads.size(); ++p) {
      const double scale = e.annotator_grads[p].abs().max().item<double>();
      largest = std::max(largest, scale);
      const double diff = (l.annotator_grads[p] - e.annotator_grads[p]).abs().max().item<double>();
      worst = std::max(worst, diff / (scale + 1e-12));
      EXPECT_LE(diff, grad_rtol * scale + 1e-9) << "step " << i << ", A's parameter " << p;
    }
    std::printf("step %zu: largest relative difference of A's gradients %.2e\n", i, worst);
    EXPECT_GT(largest, 1e-6) << "A's gradient vanished: the test would prove nothing";
  }
  ASSERT_EQ(low.buffers.size(), exact.buffers.size());
  for (size_t b = 0; b < exact.buffers.size(); ++b)
    EXPECT_TRUE(torch::allclose(low.buffers[b], exact.buffers[b], 1e-4, 1e-6)) << "buffer " << b;
  EXPECT_TRUE(torch::equal(low.next_draw, exact.next_draw)) << "the random stream moved";
}

INSTANTIATE_TEST_SUITE_P(Segmenters, LowMemoryStep, ::testing::Values("unet", "deeplab"));

TEST(LowMemory, ConfigKeyOffByDefaultRecordedAndRefusedWhereItDoesNotApply) {
  nlohmann::json j = {{"generator", "G"}, {"training_set", "x"}};
  EXPECT_FALSE(matching::annotator_train_config_from_json(j, "run.json").low_memory);
  j["low_memory"] = true;
  const auto c = matching::annotator_train_config_from_json(j, "run.json");
  EXPECT_TRUE(c.low_memory);
  EXPECT_EQ(to_json(c).at("low_memory"), true);
  EXPECT_THROW(matching::check_data_parallel(c, 2), lagm::UsageError);
  j["learner"] = "maml";
  try {
    matching::annotator_train_config_from_json(j, "run.json");
    ADD_FAILURE() << "low_memory with the maml learner was accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("run.json.low_memory"));
  }
  j.erase("learner");
  j["low_memory"] = "yes";
  EXPECT_THROW(matching::annotator_train_config_from_json(j, "run.json"), lagm::InputError);
}

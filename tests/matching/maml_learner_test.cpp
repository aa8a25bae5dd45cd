// The MAML learner as a phase-I option: its config keys are checked and recorded, its phase A
// moves A downhill on the meta loss while leaving S (weights and BatchNorm statistics) as it was,
// and a train-annotator run with it writes snapshots. Its meta gradient itself is checked against
// an explicitly unrolled computation in unrolled_learner_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "fixtures.h"
#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/error.h"
#include "lagm/matching/annotator_train_config.h"
#include "lagm/matching/annotator_trainer.h"
#include "lagm/matching/gm_step.h"
#include "lagm/models/feature_generator.h"
#include "test_support.h"

namespace annotator = lagm::annotator;
namespace matching = lagm::matching;
using ::testing::HasSubstr;

TEST(MamlLearner, ConfigKeysAreCheckedRecordedAndKeptToOneProcess) {
  nlohmann::json j = {{"generator", "G"}, {"training_set", "x"}};
  EXPECT_EQ(matching::annotator_train_config_from_json(j, "run.json").learner,
            matching::Learner::kGradientMatching);
  j.update({{"learner", "maml"}, {"inner_steps", 2}, {"inner_lr", 0.05}});
  const auto c = matching::annotator_train_config_from_json(j, "run.json");
  EXPECT_EQ(c.learner, matching::Learner::kMaml);
  EXPECT_EQ(c.unrolled.inner_steps, 2);
  EXPECT_EQ(c.unrolled.inner_lr, 0.05);
  const auto again = matching::annotator_train_config_from_json(to_json(c), "run.json");
  EXPECT_EQ(again.learner, matching::Learner::kMaml);
  EXPECT_EQ(again.unrolled.inner_steps, 2);
  EXPECT_EQ(again.unrolled.inner_lr, 0.05);
  for (const auto& [key, bad] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"learner", "reptile"}, {"inner_steps", 0}, {"inner_lr", -1.0}, {"inner_lr", "x"}}) {
    auto b = j;
    b[key] = bad;
    try {
      matching::annotator_train_config_from_json(b, "run.json");
      ADD_FAILURE() << key << " = " << bad << " was accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("run.json." + key));
    }
  }
  EXPECT_THROW(matching::check_data_parallel(c, 2), lagm::UsageError);
  EXPECT_NO_THROW(matching::check_data_parallel(c, 1));
}

TEST(MamlLearner, PhaseALowersTheMetaLossAndLeavesTheSegmenterAsItWas) {
  const auto dir = lagm::test::fresh_temp_dir("maml_step").string();
  auto g = lagm::test::small_feature_generator(dir);
  const int64_t k = 3;
  torch::manual_seed(0);
  auto a = lagm::test::small_annotator(*g, k);
  auto s = lagm::test::small_unet(k);
  torch::optim::Adam opt_a(a->parameters(), torch::optim::AdamOptions(3e-3));
  torch::optim::SGD opt_s(s.module().parameters(), torch::optim::SGDOptions(0.0));
  matching::GradientMatchingStep step(*g, a, s, opt_a, opt_s, ".*", matching::MatcherOptions{});
  step.set_unrolled_learner(matching::UnrolledOptions{2, 0.5});
  step.begin_training();
  const auto x = torch::rand({2, 3, 32, 32}) * 2 - 1;
  const auto y = torch::randint(0, k, {2, 32, 32}, torch::kInt64);
  const auto z = torch::randn({2, g->z_dim()});
  std::vector<torch::Tensor> s_before;
  for (const auto& t : s.module().parameters()) s_before.push_back(t.detach().clone());
  for (const auto& t : s.module().buffers()) s_before.push_back(t.clone());

  std::vector<double> meta;
  for (int i = 0; i < 15; ++i) {
    torch::manual_seed(7);  // the generator's noise, if it draws any: the same batch every time
    const auto r = step.annotator_phase(x, y, z);
    ASSERT_TRUE(std::isfinite(r.loss_gm));
    meta.push_back(r.loss_gm);
    if (i == 0) EXPECT_GT(std::abs(r.loss_gm - r.loss_label), 1e-4) << "the inner steps moved S";
  }
  EXPECT_LT(meta.back(), meta.front() - 1e-3)
      << "meta loss " << meta.front() << " -> " << meta.back();
  std::vector<torch::Tensor> s_after;
  for (const auto& t : s.module().parameters()) s_after.push_back(t.detach());
  for (const auto& t : s.module().buffers()) s_after.push_back(t);
  ASSERT_EQ(s_after.size(), s_before.size());
  for (size_t i = 0; i < s_after.size(); ++i) EXPECT_TRUE(torch::equal(s_after[i], s_before[i]));
}

TEST(MamlLearner, TrainAnnotatorRunsWithItAndRecordsIt) {
  const auto dir = lagm::test::fresh_temp_dir("maml_run").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 2, 3);
  const auto j = lagm::test::small_annotator_run_json(
      dir, {{"learner", "maml"}, {"inner_steps", 1}, {"inner_lr", 0.1}, {"run_name", "maml"}});
  const auto r = matching::train_annotator(
      matching::annotator_train_config_from_json(j, "test.json"), dir + "/runs", torch::kCPU);
  EXPECT_TRUE(std::filesystem::exists(annotator::snapshot_path(r.run_dir, 4)));
  EXPECT_EQ(matching::read_annotator_run_config(r.run_dir).learner, matching::Learner::kMaml);
}

// The weight average of A (annotator_ema): its update rule, its place in phase-I snapshots, its
// use at synthesis, and exact resume.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fixtures.h"
#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/error.h"
#include "lagm/core/state_dict.h"
#include "lagm/matching/annotator_trainer.h"
#include "lagm/train/weight_average.h"
#include "test_support.h"

namespace annotator = lagm::annotator;
namespace matching = lagm::matching;
namespace train = lagm::train;
using ::testing::HasSubstr;

TEST(WeightAverage, DecayRampsUpFromTheFirstUpdate) {
  EXPECT_DOUBLE_EQ(train::ramped_decay(0.999, 1), 2.0 / 11.0);
  EXPECT_DOUBLE_EQ(train::ramped_decay(0.999, 90), 91.0 / 100.0);
  EXPECT_DOUBLE_EQ(train::ramped_decay(0.9, 1000), 0.9);
  EXPECT_DOUBLE_EQ(train::ramped_decay(0.5, 2), 0.25);
}

TEST(WeightAverage, AveragesParametersAndCopiesBuffers) {
  torch::manual_seed(1);
  torch::nn::Sequential current(torch::nn::Linear(3, 2), torch::nn::BatchNorm1d(2));
  torch::nn::Sequential average(torch::nn::Linear(3, 2), torch::nn::BatchNorm1d(2));
  // Copies: a state dict shares storage with its module.
  auto copy = [](const lagm::core::TensorDict& d) {
    lagm::core::TensorDict c;
    for (const auto& [name, t] : d.items()) c.set(name, t.clone());
    return c;
  };
  const auto avg_before = copy(lagm::core::state_dict(*average));
  const auto cur = copy(lagm::core::state_dict(*current));
  current->forward(torch::randn({4, 3}));  // moves BatchNorm's running statistics
  train::update_weight_average(*average, *current, 0.9, 1000);
  const auto after = lagm::core::state_dict(*average);
  const auto now = lagm::core::state_dict(*current);
  for (const char* name : {"0.weight", "0.bias", "1.weight", "1.bias"})
    EXPECT_TRUE(
        torch::allclose(after.at(name), 0.9 * avg_before.at(name) + 0.1 * cur.at(name), 1e-6, 1e-7))
        << name;
  for (const char* name : {"1.running_mean", "1.running_var"})
    EXPECT_TRUE(torch::equal(after.at(name), now.at(name))) << name;
  EXPECT_FALSE(torch::equal(now.at("1.running_mean"), cur.at("1.running_mean")));
  torch::nn::Sequential other(torch::nn::Linear(3, 2));
  EXPECT_THROW(train::update_weight_average(*other, *current, 0.9, 1), lagm::Error);
}

namespace {

matching::AnnotatorTrainConfig ema_config(const std::string& dir,
                                          const nlohmann::json& extra = nlohmann::json::object()) {
  auto j = lagm::test::small_annotator_run_json(
      dir, {{"annotator_ema", 0.9}, {"annotator_interval", 2}, {"run_name", "ema"}});
  j.update(extra);
  return matching::annotator_train_config_from_json(j, "test.json");
}

}  // namespace

// With A trained at iterations 0 and 2 (annotator_interval 2), the snapshot at iteration 2 holds
// A after one update and the average after one, the one at 4 after two: the second average is
// d * first average + (1 - d) * A_4 with d = ramped_decay(0.9, 2) = 0.25.
TEST(AnnotatorEma, SnapshotsHoldTheAverageThatSynthesisLoads) {
  const auto dir = lagm::test::fresh_temp_dir("annotator_ema").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  const auto run = matching::train_annotator(ema_config(dir), dir + "/runs", torch::kCPU).run_dir;
  const auto s2 = annotator::read_snapshot(annotator::snapshot_path(run, 2));
  const auto s4 = annotator::read_snapshot(annotator::snapshot_path(run, 4));
  const auto e2 = s2.tensors.with_prefix_stripped(annotator::kAnnotatorAveragePrefix);
  const auto e4 = s4.tensors.with_prefix_stripped(annotator::kAnnotatorAveragePrefix);
  const auto a2 = s2.tensors.with_prefix_stripped("A."), a4 = s4.tensors.with_prefix_stripped("A.");
  ASSERT_FALSE(e4.empty());
  ASSERT_EQ(e4.size(), a4.size());
  int moved = 0;
  for (const auto& [name, t] : a4.items()) {
    if (!t.is_floating_point()) continue;
    if (name.find("running_") !=
        std::string::npos) {  // batch-norm statistics: copied, not averaged
      EXPECT_TRUE(torch::equal(e4.at(name), t)) << name;
      continue;
    }
    const auto expected = 0.25 * e2.at(name) + 0.75 * t;
    EXPECT_TRUE(torch::allclose(e4.at(name), expected, 1e-5, 1e-7)) << name;
    moved += !torch::equal(e4.at(name), t) && !torch::equal(a2.at(name), t);
  }
  EXPECT_GT(moved, 0);  // A moved between the snapshots, and the average lags behind it
  const auto loaded = lagm::core::state_dict(annotator::load_snapshot_annotator(s4).module());
  for (const auto& [name, t] : e4.items()) EXPECT_TRUE(torch::equal(loaded.at(name), t)) << name;

  // Without the option the snapshot is the reference's: no average, A's own weights are loaded.
  const auto plain =
      matching::train_annotator(ema_config(dir, {{"annotator_ema", 0}, {"run_name", "plain"}}),
                                dir + "/runs", torch::kCPU)
          .run_dir;
  const auto p4 = annotator::read_snapshot(annotator::snapshot_path(plain, 4));
  EXPECT_TRUE(p4.tensors.with_prefix_stripped(annotator::kAnnotatorAveragePrefix).empty());
  const auto plain_a = p4.tensors.with_prefix_stripped("A.");
  for (const auto& [name, t] : plain_a.items())
    EXPECT_TRUE(torch::equal(t, a4.at(name)))
        << name;  // the average never touches the training stream
}

TEST(AnnotatorEma, ResumedRunEqualsTheUninterruptedOne) {
  const auto dir = lagm::test::fresh_temp_dir("annotator_ema_resume").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  const auto straight = matching::train_annotator(ema_config(dir, {{"run_name", "straight"}}),
                                                  dir + "/runs", torch::kCPU)
                            .run_dir;
  const auto halted =
      matching::train_annotator(ema_config(dir, {{"total_iters", 2}, {"run_name", "halted"}}),
                                dir + "/runs", torch::kCPU)
          .run_dir;
  matching::resume_annotator_training(halted, torch::kCPU, {}, 4);
  const auto a = annotator::read_snapshot(annotator::snapshot_path(straight, 4)).tensors;
  const auto b = annotator::read_snapshot(annotator::snapshot_path(halted, 4)).tensors;
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a.items()) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
}

TEST(AnnotatorEma, DecayOutsideZeroToOneIsRefused) {
  for (double bad : {-0.1, 1.0, 1.5}) {
    try {
      matching::annotator_train_config_from_json(
          {{"generator", "G"}, {"training_set", "x"}, {"annotator_ema", bad}}, "run.json");
      ADD_FAILURE() << bad << " accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("run.json.annotator_ema"));
    }
  }
}

// Class-prior calibration (logit offsets matching label frequencies), class-balanced matching
// weights, and the phase-I options that carry them.
#include "lagm/annotator/prior_calibration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "fixtures.h"
#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/matching/annotator_trainer.h"
#include "lagm/matching/gm_step.h"
#include "lagm/synth/synthesize.h"
#include "test_support.h"

namespace annotator = lagm::annotator;
namespace matching = lagm::matching;
namespace train = lagm::train;
using ::testing::HasSubstr;

TEST(PriorCalibration, ClassFrequenciesIgnoreOutOfRangeLabels) {
  const auto f = annotator::class_frequencies(torch::tensor({0, 0, 1, 2, 255, 2}), 3);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_DOUBLE_EQ(f[0], 0.4);
  EXPECT_DOUBLE_EQ(f[1], 0.2);
  EXPECT_DOUBLE_EQ(f[2], 0.4);
}

// Mixed batches: a class the first set lacks keeps the share the second set gives it.
TEST(PriorCalibration, MixedFrequenciesAreTheBatchShareWeightedAverage) {
  const auto f = annotator::mixed_class_frequencies({0.5, 0.5, 0.0}, {0.0, 0.5, 0.5}, 0.25);
  EXPECT_THAT(f, testing::Pointwise(testing::DoubleNear(1e-12), {0.375, 0.5, 0.125}));
  EXPECT_THROW(annotator::mixed_class_frequencies({0.5, 0.5}, {1.0}, 0.25), lagm::InputError);
  EXPECT_THROW(annotator::mixed_class_frequencies({1.0}, {1.0}, 1.5), lagm::InputError);
}

// Class 0 wins everywhere; class 2 is second best only on the first 5 % of the pixels and class 1
// rises linearly. The offsets must hand class 2 exactly its 5 % (where it ranks high) and class 1
// the requested share, without moving where each class is most likely.
TEST(PriorCalibration, OffsetsReachTheTargetFrequenciesWhereTheClassRanksHighest) {
  const int64_t p = 10000;
  auto logits = torch::zeros({p, 3});
  logits.select(1, 0).fill_(2.0);
  logits.select(1, 1).copy_(torch::linspace(0.0, 1.0, p));
  logits.select(1, 2).narrow(0, 0, 500).fill_(1.5);
  const std::vector<double> target = {0.75, 0.20, 0.05};
  const auto b = annotator::fit_logit_offsets(logits, target);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], 0.0);
  const auto labels = (logits + torch::tensor(std::vector<float>(b.begin(), b.end()))).argmax(1);
  const auto f = annotator::class_frequencies(labels, 3);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(f[c], target[c], 0.01) << c;
  EXPECT_TRUE(
      labels.narrow(0, 500, p - 500).ne(2).all().item<bool>());  // class 2 only where it ranks high
  EXPECT_TRUE(labels.narrow(0, p - 1000, 1000).eq(1).all().item<bool>());  // class 1 where its
                                                                           // logit is largest
  EXPECT_THROW(annotator::fit_logit_offsets(logits, {0.5, 0.5}), lagm::InputError);
  // Applied to [N, K, H, W] logits over the class dimension.
  const auto shifted = annotator::apply_logit_offsets(torch::zeros({1, 3, 2, 2}), {0.0, 1.0, -1.0});
  EXPECT_EQ(shifted[0][1][1][1].item<float>(), 1.0f);
  EXPECT_EQ(shifted[0][2][0][0].item<float>(), -1.0f);
}

TEST(ClassBalance, WeightsHaveUnitMeanPixelWeightAndSkipAbsentClasses) {
  const std::vector<double> f = {0.7, 0.2, 0.1, 0.0};
  const auto w = train::class_balance_weights(f, 1.0);
  EXPECT_NEAR((w * torch::tensor(f, torch::kFloat64)).sum().item<double>(), 1.0, 1e-12);
  EXPECT_EQ(w[3].item<double>(), 0.0);
  EXPECT_NEAR(w[2].item<double>() / w[0].item<double>(), 7.0, 1e-9);  // inverse frequency
  const auto half = train::class_balance_weights(f, 0.5);
  EXPECT_NEAR(half[2].item<double>() / half[0].item<double>(), std::sqrt(7.0), 1e-9);
  const auto none = train::class_balance_weights(f, 0.0);
  EXPECT_NEAR(none[0].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(none[2].item<double>(), 1.0, 1e-12);
  // Weighted soft cross entropy: w_c multiplies class c's term.
  auto logits = torch::randn({1, 4, 2, 2});
  auto probs = torch::softmax(torch::randn({1, 4, 2, 2}), 1);
  const auto expected =
      (-probs * torch::log_softmax(logits, 1) * w.to(torch::kFloat32).view({1, 4, 1, 1}))
          .sum(1)
          .mean();
  EXPECT_NEAR(train::soft_cross_entropy(logits, probs, w).item<double>(), expected.item<double>(),
              1e-6);
}

namespace {

matching::AnnotatorTrainConfig small_config(
    const std::string& dir, const nlohmann::json& extra = nlohmann::json::object()) {
  return matching::annotator_train_config_from_json(
      lagm::test::small_annotator_run_json(dir, extra), "test.json");
}

}  // namespace

// A run records the labelled set's class frequencies in its snapshots; synthesis with
// --calibrate-priors writes its offsets and gets label frequencies closer to them than plain
// arg-max.
TEST(PriorCalibration, SnapshotsRecordLabelFrequenciesAndSynthesisUsesThem) {
  const auto dir = lagm::test::fresh_temp_dir("prior_cal").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  const auto run = matching::train_annotator(
                       small_config(dir, {{"class_balance_power", 0.5}, {"label_batch", 4}}),
                       dir + "/runs", torch::kCPU)
                       .run_dir;
  const auto snap = annotator::read_snapshot(annotator::latest_snapshot(run));
  ASSERT_EQ(snap.info.labelled_class_frequencies.size(), 3u);
  double total = 0;
  for (double f : snap.info.labelled_class_frequencies) total += f;
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_EQ(snap.info.run.at("class_balance_power").get<double>(), 0.5);
  EXPECT_EQ(snap.info.run.at("label_batch").get<int64_t>(), 4);

  auto synth = [&](bool calibrate, const std::string& out) {
    lagm::synth::SynthesizeOptions o;
    o.run_dir = run;
    o.snapshot = "latest";
    o.num = 12;
    o.out = dir + "/" + out;
    o.calibrate_priors = calibrate;
    o.calibration_images = 16;
    lagm::synth::synthesize(o);
    return nlohmann::json::parse(lagm::core::read_file(o.out + "/dataset.json"));
  };
  auto l1_to_labelled = [&](const nlohmann::json& info) {
    const auto counts = info.at("pixels_per_class").get<std::vector<double>>();
    double sum = 0, l1 = 0;
    for (double c : counts) sum += c;
    for (size_t c = 0; c < counts.size(); ++c)
      l1 += std::abs(counts[c] / sum - snap.info.labelled_class_frequencies[c]);
    return l1;
  };
  const auto plain = synth(false, "plain"), calibrated = synth(true, "calibrated");
  EXPECT_FALSE(plain.contains("logit_offsets"));
  ASSERT_EQ(calibrated.at("logit_offsets").size(), 3u);
  EXPECT_TRUE(calibrated.at("calibrate_priors").get<bool>());
  EXPECT_LT(l1_to_labelled(calibrated), l1_to_labelled(plain));
}

TEST(PriorCalibration, PhaseOneOptionsAreValidated) {
  const auto dir = lagm::test::fresh_temp_dir("prior_opts").string();
  for (const auto& [extra, key] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{{"class_balance_power", 2.0}}, "class_balance_power"},
           {{{"label_batch", -1}}, "label_batch"},
           {{{"batch", 2.5}}, "batch"},
           {{{"segmenter", "unet"}}, "segmenter"},                    // fuzzing
           {{{"gm_params", "a{6322132600666666666}"}}, "gm_params"},  // fuzzing
           {{{"seed", -1}}, "seed"},
           {{{"class_balance_power", "1"}}, "class_balance_power"},
           {{{"matcher", {{"magnitude_weight", -1.0}}}}, "magnitude_weight"}}) {
    try {
      small_config(dir, extra);
      ADD_FAILURE() << extra.dump() << " accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("test.json")) << extra.dump();
      EXPECT_THAT(e.what(), HasSubstr(key)) << extra.dump();
    }
  }
}

// S can start from a trained segmenter; one with other classes is refused with the file named.
TEST(SegmenterInit, StartsFromTheGivenWeightsAndRefusesAnotherClassList) {
  const auto dir = lagm::test::fresh_temp_dir("seg_init").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  const auto first =
      matching::train_annotator(small_config(dir), dir + "/runs", torch::kCPU).run_dir;
  const auto snapshot = annotator::latest_snapshot(first);
  auto config =
      small_config(dir, {{"segmenter_init", snapshot}, {"total_iters", 2}, {"run_name", "init"}});
  const auto second = matching::train_annotator(config, dir + "/runs", torch::kCPU).run_dir;
  const auto after = annotator::read_snapshot(annotator::latest_snapshot(second));
  EXPECT_EQ(after.info.run.at("segmenter_init"), snapshot);
  // Two Adam steps of 1e-3 move no weight by more than ~2e-3: S started from the snapshot's S.
  const auto before = annotator::read_snapshot(snapshot);
  const auto& w0 = before.tensors.at("S.outc.weight");
  EXPECT_LT((after.tensors.at("S.outc.weight") - w0).abs().max().item<double>(), 0.01);
  EXPECT_GT(w0.abs().max().item<double>(), 0.05);

  lagm::test::write_random_folder_dataset(dir + "/other", 4, 5);
  auto other = small_config(dir, {{"segmenter_init", snapshot}, {"training_set", dir + "/other"}});
  try {
    matching::train_annotator(other, dir + "/runs", torch::kCPU);
    FAIL() << "expected an error";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(snapshot));
  }
}

// annotator_init: A starts from another run's annotator (here with a learning rate of 1e-30, so the
// run's annotator must stay the one it started from); a different annotator is refused.
TEST(AnnotatorInit, StartsFromTheSnapshotsAnnotatorAndRefusesAnotherShape) {
  const auto dir = lagm::test::fresh_temp_dir("annotator_init").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  const auto first = annotator::latest_snapshot(
      matching::train_annotator(small_config(dir), dir + "/runs", torch::kCPU).run_dir);
  const auto frozen =
      small_config(dir, {{"annotator_init", first},
                         {"seed", 5},
                         {"annotator_optimizer", {{"kind", "adam"}, {"lr", 1e-30}}}});
  const auto second = annotator::latest_snapshot(
      matching::train_annotator(frozen, dir + "/runs", torch::kCPU).run_dir);
  const auto a = annotator::read_snapshot(first).tensors.with_prefix_stripped("A.");
  const auto b = annotator::read_snapshot(second).tensors.with_prefix_stripped("A.");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a.items()) {
    if (name.find("running_") == std::string::npos &&
        name.find("num_batches") == std::string::npos) {
      EXPECT_TRUE(torch::allclose(t, b.at(name), 0.0, 1e-20)) << name;
    }
  }
  // Without the init, the same seed starts from other weights.
  const auto fresh = annotator::latest_snapshot(
      matching::train_annotator(
          small_config(dir,
                       {{"seed", 5}, {"annotator_optimizer", {{"kind", "adam"}, {"lr", 1e-30}}}}),
          dir + "/runs", torch::kCPU)
          .run_dir);
  const auto c = annotator::read_snapshot(fresh).tensors.with_prefix_stripped("A.");
  EXPECT_FALSE(torch::equal(a.items().front().second, c.at(a.items().front().first)));
  try {
    matching::train_annotator(
        small_config(dir, {{"annotator_init", first}, {"annotator", {{"tmp_channels", 4}}}}),
        dir + "/runs", torch::kCPU);
    ADD_FAILURE() << "an annotator of another width was loaded";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(first));
  }
}

// segmenter_reset_interval: S restarts as a new network before iteration 3 (fresh weights of the
// same scale, Adam's step count from 0), and a run resumed across a restart equals the
// uninterrupted one.
TEST(SegmenterReset, RestartsSWithFreshWeightsAndResumesExactly) {
  const auto dir = lagm::test::fresh_temp_dir("segmenter_reset").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  const nlohmann::json frozen_s = {{"kind", "adam"}, {"lr", 1e-30}};  // S moves only by the restart
  const auto run =
      matching::train_annotator(
          small_config(dir, {{"segmenter_reset_interval", 3}, {"segmenter_optimizer", frozen_s}}),
          dir + "/runs", torch::kCPU)
          .run_dir;
  const auto before = annotator::read_snapshot(annotator::snapshot_path(run, 2)).tensors;
  const auto after = annotator::read_snapshot(annotator::snapshot_path(run, 4)).tensors;
  std::string largest;  // the largest convolution of S: a stable estimate of its initial scale
  for (const auto& [name, t] : before.items())
    if (name.rfind("S.", 0) == 0 && t.dim() == 4 &&
        (largest.empty() || t.numel() > before.at(largest).numel()))
      largest = name;
  const auto& w0 = before.at(largest);
  const auto& w1 = after.at(largest);
  EXPECT_GT((w1 - w0).abs().max().item<double>(), 0.05);
  EXPECT_NEAR(w1.std().item<double>() / w0.std().item<double>(), 1.0, 0.1);
  EXPECT_EQ(before.at("optS.outc.weight.step").item<int64_t>(), 2);
  EXPECT_EQ(after.at("optS.outc.weight.step").item<int64_t>(), 1);

  const auto straight =
      matching::train_annotator(
          small_config(dir, {{"segmenter_reset_interval", 2}, {"run_name", "straight"}}),
          dir + "/runs", torch::kCPU)
          .run_dir;
  const auto halted =
      matching::train_annotator(
          small_config(
              dir, {{"segmenter_reset_interval", 2}, {"total_iters", 2}, {"run_name", "halted"}}),
          dir + "/runs", torch::kCPU)
          .run_dir;
  matching::resume_annotator_training(halted, torch::kCPU, {}, 4);
  const auto a = annotator::read_snapshot(annotator::snapshot_path(straight, 4)).tensors;
  const auto b = annotator::read_snapshot(annotator::snapshot_path(halted, 4)).tensors;
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a.items()) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;

  try {
    small_config(dir, {{"segmenter_reset_interval", 2}, {"segmenter_init", run}});
    ADD_FAILURE() << "segmenter_reset_interval with segmenter_init accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("segmenter_reset_interval"));
  }
}

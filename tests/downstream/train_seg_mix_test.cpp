// train-seg --mix-data: real labelled images mixed into every batch of a downstream training.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/downstream/segmenter_trainer.h"
#include "lagm/eval/evaluate.h"
#include "test_support.h"

namespace {

// 16x16 images: a red top half labelled `top`; the bottom half is grey background, or, with
// `blue_bottom`, blue and labelled `bottom`. Same three classes either way.
void write_halves_dataset(const std::string& dir, int count, bool blue_bottom) {
  auto gen = at::detail::createCPUGenerator(3);
  lagm::data::write_dataset_json(dir, {{"classes", {"background", "top", "bottom"}}});
  for (int i = 0; i < count; ++i) {
    auto image = torch::randint(100, 140, {16, 16, 3}, gen, torch::kInt64);
    auto mask = torch::zeros({16, 16}, torch::kUInt8);
    image.narrow(0, 0, 8).select(2, 0).fill_(230);
    mask.narrow(0, 0, 8).fill_(1);
    if (blue_bottom) {
      image.narrow(0, 8, 8).select(2, 2).fill_(250);
      mask.narrow(0, 8, 8).fill_(2);
    }
    lagm::data::write_folder_sample(dir, "img" + std::to_string(i), image.to(torch::kUInt8), mask);
  }
}

lagm::downstream::SegmenterTrainConfig config(const std::string& dir) {
  lagm::downstream::SegmenterTrainConfig c;
  c.data.path = dir + "/synthetic";
  c.segmenter.base_channels = 4;
  c.epochs = 1;
  c.batch = 4;
  c.samples_per_epoch = 400;
  c.lr = 1e-2;
  return c;
}

// IoU of class `bottom` on the real images, and the optimizer steps the run took.
std::pair<double, int64_t> train_and_measure(const lagm::downstream::SegmenterTrainConfig& c,
                                             const std::string& dir, const std::string& out) {
  lagm::downstream::train_segmenter(c, dir + "/" + out, torch::kCPU);
  auto seg = lagm::annotator::load_segmenter(dir + "/" + out + "/segmenter-000.safetensors");
  const lagm::data::FolderDataset real(dir + "/real");
  const double iou =
      lagm::eval::evaluate_segmenter(*seg.segmenter, real, torch::kCPU).metrics().iou[2];
  const auto state = lagm::core::read_safetensors(dir + "/" + out + "/train_state.safetensors");
  return {iou, std::stoll(state.metadata.at("steps"))};
}

}  // namespace

// The synthetic set never shows the class `bottom`; only the mixed-in real images do. Mixed, the
// network learns it; plain, it cannot. Both runs take the same number of steps of the same batch.
TEST(TrainSegMix, MixedInLabelsTeachWhatTheTrainingDataLacksAtTheSameSteps) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg_mix").string();
  write_halves_dataset(dir + "/synthetic", 30, false);
  write_halves_dataset(dir + "/real", 2, true);
  const auto [plain_iou, plain_steps] = train_and_measure(config(dir), dir, "plain");
  auto mixed = config(dir);
  mixed.mix_data.path = dir + "/real";
  mixed.mix_per_batch = 1;
  const auto [mixed_iou, mixed_steps] = train_and_measure(mixed, dir, "mixed");
  EXPECT_EQ(plain_iou, 0.0);
  EXPECT_GT(mixed_iou, 0.5) << "plain " << plain_iou;
  EXPECT_EQ(plain_steps, 100);  // 400 samples per epoch in batches of 4
  EXPECT_EQ(mixed_steps, plain_steps);
}

// Class-balanced and mixed: the weights come from what the batches hold (3 of 4 samples
// synthetic: background 1/2, top 1/2; 1 of 4 real: top 1/2, bottom 1/2), so the class only the
// mixed-in labels show is weighted, not dropped, and the network learns it. Weights at power 1:
// 1 / (3 f_c) for the mixture's f = (0.375, 0.5, 0.125), a mean pixel weight of 1.
TEST(TrainSegMix, ClassBalanceWeighsTheMixtureTheBatchesHold) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg_mix_balance").string();
  write_halves_dataset(dir + "/synthetic", 30, false);
  write_halves_dataset(dir + "/real", 2, true);
  auto c = config(dir);
  c.mix_data.path = dir + "/real";
  c.mix_per_batch = 1;
  c.class_balance_power = 1;
  const auto r = lagm::downstream::train_segmenter(c, dir + "/balanced", torch::kCPU);
  EXPECT_THAT(r.class_weights,
              testing::Pointwise(testing::DoubleNear(1e-9), {1 / 1.125, 1 / 1.5, 1 / 0.375}));
  auto seg = lagm::annotator::load_segmenter(dir + "/balanced/segmenter-000.safetensors");
  const lagm::data::FolderDataset real(dir + "/real");
  EXPECT_GT(lagm::eval::evaluate_segmenter(*seg.segmenter, real, torch::kCPU).metrics().iou[2],
            0.5);
}

TEST(TrainSegMix, RefusesAMixedSetThatDoesNotFit) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg_mix_bad").string();
  write_halves_dataset(dir + "/synthetic", 4, false);
  write_halves_dataset(dir + "/real", 2, true);
  lagm::data::write_dataset_json(dir + "/other", {{"classes", {"background", "a", "b", "c"}}});
  lagm::data::write_folder_sample(dir + "/other", "x", torch::zeros({16, 16, 3}, torch::kUInt8),
                                  torch::zeros({16, 16}, torch::kUInt8));
  auto c = config(dir);
  c.mix_data.path = dir + "/real";
  c.mix_per_batch = 4;  // the whole batch: nothing left of the training data
  EXPECT_THROW(lagm::downstream::train_segmenter(c, dir + "/a", torch::kCPU), lagm::UsageError);
  c.mix_per_batch = 0;
  EXPECT_THROW(lagm::downstream::train_segmenter(c, dir + "/b", torch::kCPU), lagm::UsageError);
  c.mix_data.path.clear();
  c.mix_per_batch = 1;  // a share without a set
  EXPECT_THROW(lagm::downstream::train_segmenter(c, dir + "/c", torch::kCPU), lagm::UsageError);
  c.mix_data.path = dir + "/other";
  try {
    lagm::downstream::train_segmenter(c, dir + "/d", torch::kCPU);
    FAIL() << "a mixed-in set with other classes was accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("classes differ"), std::string::npos) << e.what();
  }
}

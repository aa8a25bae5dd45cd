// Downstream training (train-seg): a U-Net lowers its loss, checkpoints per epoch, resumes only as
// the run it continues, learns a rare part with the class-balanced loss, stops on a non-finite loss
// and starts from a trained segmenter.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "fixtures.h"
#include "lagm/annotator/prior_calibration.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/error.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/data_survey.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/downstream/segmenter_trainer.h"
#include "lagm/eval/evaluate.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/segmenter.h"
#include "test_support.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

// A width-4 U-Net trained on the folder data set `data`, validated on it when `validate`.
lagm::downstream::SegmenterTrainConfig small_seg_config(const std::string& data, bool validate,
                                                        int64_t epochs, int64_t batch) {
  lagm::downstream::SegmenterTrainConfig c;
  c.data.path = data;
  if (validate) c.validation.path = data;
  c.segmenter.base_channels = 4;
  c.epochs = epochs;
  c.batch = batch;
  return c;
}

// 16x16 images: class 1 fills the top half (red), class 2 is a 2x2 blue dot (1.6 % of the pixels)
// at a random place, class 0 the rest (gray noise).
void write_rare_part_dataset(const std::string& dir, int count) {
  auto gen = at::detail::createCPUGenerator(7);
  lagm::data::write_dataset_json(dir, {{"classes", {"background", "top", "dot"}}});
  for (int i = 0; i < count; ++i) {
    auto image = torch::randint(100, 140, {16, 16, 3}, gen, torch::kInt64);
    auto mask = torch::zeros({16, 16}, torch::kUInt8);
    image.narrow(0, 0, 8).select(2, 0).fill_(230);
    mask.narrow(0, 0, 8).fill_(1);
    const int64_t y = 9 + torch::randint(0, 5, {1}, gen).item<int64_t>();
    const int64_t x = torch::randint(0, 14, {1}, gen).item<int64_t>();
    image.narrow(0, y, 2).narrow(1, x, 2).select(2, 2).fill_(250);
    mask.narrow(0, y, 2).narrow(1, x, 2).fill_(2);
    lagm::data::write_folder_sample(dir, "img" + std::to_string(i), image.to(torch::kUInt8), mask);
  }
}

}  // namespace

TEST(TrainSeg, LossFallsCheckpointsReloadAndRunResumes) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 8, 3);
  auto c = small_seg_config(dir + "/data", true, 6, 4);
  c.lr = 1e-2;
  c.flip = true;
  auto r = lagm::downstream::train_segmenter(c, dir + "/out", torch::kCPU);
  EXPECT_EQ(r.epochs_done, 6);
  EXPECT_LT(r.last_loss, r.first_loss * 0.9);
  EXPECT_GE(r.best_epoch, 0);
  const auto ckpt = lagm::models::read_model_checkpoint(dir + "/out/segmenter-005.safetensors");
  EXPECT_EQ(ckpt.kind, "segmenter");
  lagm::models::Segmenter reloaded(lagm::models::segmenter_config_from_json(ckpt.config, "ckpt"));
  lagm::core::load_state_dict(reloaded.module(), ckpt.tensors);
  // The checkpoint describes itself: input size, the data it learned from, how it ran, its metrics.
  const auto described =
      lagm::annotator::load_segmenter(dir + "/out/segmenter-005.safetensors").description;
  EXPECT_TRUE(described.defaulted.empty());
  EXPECT_EQ(described.class_names.size(), 3u);
  EXPECT_EQ(described.palette.size(), 3u);
  EXPECT_EQ(described.input_height, 32);
  EXPECT_EQ(described.input_width, 32);
  EXPECT_EQ(described.labelled_count, 8);
  EXPECT_EQ(described.labelled_source, dir + "/data");
  EXPECT_EQ(described.processes, 1);
  EXPECT_EQ(described.precision, "fp32");
  EXPECT_FALSE(described.lagm_version.empty());
  EXPECT_EQ(described.validation.value("epoch", -1), 5);
  EXPECT_GE(described.validation.value("mIoU", -1.0), 0.0);

  // Extending the run resumes after epoch 5 instead of starting over.
  c.epochs = 7;
  std::vector<std::string> lines;
  r = lagm::downstream::train_segmenter(c, dir + "/out", torch::kCPU,
                                        [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(r.epochs_done, 7);
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0], HasSubstr("resumed after epoch 5"));
  EXPECT_TRUE(fs::exists(dir + "/out/segmenter-006.safetensors"));
  // The folder records the lengthened run, which reads back as the configuration that ran.
  const auto recorded = lagm::downstream::read_segmenter_run_config(dir + "/out");
  EXPECT_EQ(lagm::downstream::to_json(recorded), lagm::downstream::to_json(c));
  EXPECT_EQ(recorded.epochs, 7);

  // Continuing it with another configuration would make one run of two: refused, naming the change.
  c.epochs = 8;
  c.lr = 5e-3;
  try {
    lagm::downstream::train_segmenter(c, dir + "/out", torch::kCPU);
    ADD_FAILURE() << "a changed learning rate was accepted on resume";
  } catch (const lagm::UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("lr 0.01 -> 0.005"));
  }
  EXPECT_FALSE(fs::exists(dir + "/out/segmenter-007.safetensors"));
}

TEST(TrainSeg, ConfigReadsBackAndRejectsUnknownKeys) {
  lagm::downstream::SegmenterTrainConfig c;
  c.data.path = "train";
  c.validation.path = "val";
  c.segmenter.base_channels = 8;
  c.lr = 3e-4;
  c.class_balance_power = 0.5;
  c.seed = 7;
  const auto j = lagm::downstream::to_json(c);
  const auto back = lagm::downstream::segmenter_train_config_from_json(j, "config.json");
  EXPECT_EQ(lagm::downstream::to_json(back), j);
  EXPECT_TRUE(back.mix_data.empty());
  EXPECT_EQ(lagm::downstream::resume_conflicts(j, back), "");
  auto longer = back;
  longer.epochs = 99;
  longer.max_steps = 5;
  EXPECT_EQ(lagm::downstream::resume_conflicts(j, longer), "");
  auto other = back;
  other.flip = true;
  other.seed = 8;
  EXPECT_EQ(lagm::downstream::resume_conflicts(j, other), "flip false -> true, seed 7 -> 8");
  auto typo = j;
  typo["learning_rate"] = 1;
  EXPECT_THROW(lagm::downstream::segmenter_train_config_from_json(typo, "config.json"),
               lagm::InputError);
  auto no_data = j;
  no_data.erase("data");
  EXPECT_THROW(lagm::downstream::segmenter_train_config_from_json(no_data, "config.json"),
               lagm::InputError);
}

TEST(TrainSeg, ClassFrequenciesOfADataSetCountEveryLabelMap) {
  const auto dir = lagm::test::fresh_temp_dir("freq").string();
  write_rare_part_dataset(dir + "/data", 5);
  const lagm::data::FolderDataset d(dir + "/data");
  const auto f = lagm::data::survey_dataset(d, "data").class_frequencies;
  ASSERT_EQ(f.size(), 3u);
  EXPECT_DOUBLE_EQ(f[1], 0.5);
  EXPECT_DOUBLE_EQ(f[2], 4.0 / 256);
  EXPECT_DOUBLE_EQ(f[0], 1.0 - 0.5 - 4.0 / 256);
}

TEST(TrainSeg, ClassBalancedLossLearnsARarePartThePlainLossMisses) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg_cb").string();
  write_rare_part_dataset(dir + "/data", 16);
  auto dot_iou = [&](double power, const std::string& out) {
    auto c = small_seg_config(dir + "/data", false, 1, 4);
    c.samples_per_epoch = 160;
    c.lr = 1e-2;
    c.class_balance_power = power;
    lagm::downstream::train_segmenter(c, dir + "/" + out, torch::kCPU);
    auto seg = lagm::annotator::load_segmenter(dir + "/" + out + "/segmenter-000.safetensors");
    const lagm::data::FolderDataset d(dir + "/data");
    return lagm::eval::evaluate_segmenter(*seg.segmenter, d, torch::kCPU).metrics().iou[2];
  };
  const double plain = dot_iou(0.0, "plain"), balanced = dot_iou(1.0, "balanced");
  EXPECT_GT(balanced, 0.3);
  EXPECT_GT(balanced, plain + 0.2) << "plain " << plain << ", balanced " << balanced;
  lagm::downstream::SegmenterTrainConfig bad;
  bad.data.path = dir + "/data";
  bad.class_balance_power = 1.5;
  EXPECT_THROW(lagm::downstream::train_segmenter(bad, dir + "/bad", torch::kCPU), lagm::UsageError);
}

TEST(TrainSeg, NonFiniteLossStopsTheRunNamingTheStep) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg_nan").string();
  write_rare_part_dataset(dir + "/data", 8);
  auto c = small_seg_config(dir + "/data", true, 2, 4);
  c.samples_per_epoch = 64;
  c.lr = 1e30;
  try {
    lagm::downstream::train_segmenter(c, dir + "/out", torch::kCPU);
    FAIL() << "a run with lr 1e30 finished";
  } catch (const lagm::InputError& e) {
    FAIL() << "divergence reported as bad input: " << e.what();
  } catch (const lagm::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the training loss is"));
    EXPECT_THAT(e.what(), HasSubstr("epoch 0, step"));
  }
  EXPECT_FALSE(fs::exists(dir + "/out/segmenter-000.safetensors"));
  EXPECT_FALSE(fs::exists(dir + "/out/metrics-val.jsonl"));
}

TEST(TrainSeg, InitStartsFromATrainedSegmenterOfTheSameShape) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg_init").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 8, 3);
  auto c = small_seg_config(dir + "/data", false, 1, 4);
  c.lr = 1e-2;
  lagm::downstream::train_segmenter(c, dir + "/first", torch::kCPU);
  const auto first =
      lagm::models::read_model_checkpoint(dir + "/first/segmenter-000.safetensors").tensors;

  // One step at a vanishing learning rate: a run started from `first` ends where it began, a run
  // from random weights (another seed) does not.
  auto trained_from = [&](const std::string& init, uint64_t seed, const std::string& out) {
    auto f = small_seg_config(dir + "/data", false, 1, 4);
    f.lr = 1e-12;
    f.max_steps = 1;
    f.init = init;
    f.seed = seed;
    lagm::downstream::train_segmenter(f, dir + "/" + out, torch::kCPU);
    return lagm::models::read_model_checkpoint(dir + "/" + out + "/segmenter-000.safetensors")
        .tensors;
  };
  const auto fine = trained_from(dir + "/first/segmenter-000.safetensors", 7, "fine");
  const auto fresh = trained_from("", 7, "fresh");
  const std::string w = "outc.weight";
  EXPECT_TRUE(torch::allclose(fine.at(w), first.at(w), 0, 1e-6));
  EXPECT_FALSE(torch::allclose(fresh.at(w), first.at(w), 0, 1e-3));

  // Another width: refused, naming the file.
  auto wide = small_seg_config(dir + "/data", false, 1, 4);
  wide.segmenter.base_channels = 8;
  wide.init = dir + "/first/segmenter-000.safetensors";
  try {
    lagm::downstream::train_segmenter(wide, dir + "/wide", torch::kCPU);
    FAIL() << "a segmenter of another width was accepted as --init";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("first/segmenter-000.safetensors"));
  }
}

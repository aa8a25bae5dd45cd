// Phase II: synthesis is deterministic per seed across whole / sharded / interrupted runs (byte
// for byte), and a downstream U-Net trained on it lowers its loss, checkpoints per epoch and
// resumes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "fixtures.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/eval/evaluate.h"
#include "lagm/io/image.h"
#include "lagm/method/annotator_trainer.h"
#include "lagm/method/prior_calibration.h"
#include "lagm/method/segmenter_checkpoint.h"
#include "lagm/method/segmenter_trainer.h"
#include "lagm/method/transform_pipe.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/segmenter.h"
#include "lagm/synth/synthesize.h"
#include "test_support.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

// A tiny finished train-annotator run to synthesize from.
std::string make_run(const std::string& dir) {
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  auto config = lagm::method::annotator_train_config_from_json(
      {{"generator", dir + "/G.safetensors"},
       {"segmenter", {{"arch", "unet"}, {"base_channels", 4}}},
       {"annotator", {{"tmp_channels", 8}}},
       {"total_iters", 4},
       {"niter_per_tick", 2},
       {"snapshot_ticks", 1},
       {"grid_size", 2},
       {"training_set", dir + "/labelled"},
       {"run_name", "r"}},
      "test");
  return lagm::method::train_annotator(config, dir + "/runs", torch::kCPU).run_dir;
}

// Every file of a folder except the writers' lock files (bookkeeping that holds a pid, not data).
std::map<std::string, std::string> read_tree(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().filename().string().rfind(".lock", 0) != 0)
      files[fs::relative(e.path(), root).string()] = lagm::core::read_file(e.path().string());
  return files;
}

lagm::synth::SynthesizeOptions options(const std::string& run, const std::string& out) {
  lagm::synth::SynthesizeOptions o;
  o.run_dir = run;
  o.snapshot = "latest";
  o.num = 6;
  o.out = out;
  o.seed_base = 100;
  o.keep_top = 0.5;
  return o;
}

// A width-4 U-Net trained on the folder data set `data`, validated on it when `validate`.
lagm::method::SegmenterTrainConfig small_seg_config(const std::string& data, bool validate,
                                                    int64_t epochs, int64_t batch) {
  lagm::method::SegmenterTrainConfig c;
  c.data.path = data;
  if (validate) c.validation.path = data;
  c.segmenter = {{"arch", "unet"}, {"base_channels", 4}};
  c.epochs = epochs;
  c.batch = batch;
  return c;
}

}  // namespace

TEST(Synthesize, WholeShardedAndResumedRunsAreByteIdentical) {
  const auto dir = lagm::test::fresh_temp_dir("synth").string();
  const auto run = make_run(dir);

  auto whole = options(run, dir + "/whole");
  const auto r = lagm::synth::synthesize(whole);
  EXPECT_EQ(r.written, 6);
  EXPECT_TRUE(r.complete);

  auto s1 = options(run, dir + "/sharded");
  s1.shard_index = 1, s1.shard_count = 2;
  EXPECT_FALSE(lagm::synth::synthesize(s1).complete);  // shard 0 still missing
  auto s0 = options(run, dir + "/sharded");
  s0.shard_index = 0, s0.shard_count = 2;
  EXPECT_TRUE(lagm::synth::synthesize(s0).complete);

  // Interrupted: an image whose metadata never got written (the crash came between the files),
  // and images never started; the rerun completes them.
  auto partial = options(run, dir + "/resumed");
  partial.shard_index = 0, partial.shard_count = 3;
  lagm::synth::synthesize(partial);
  fs::remove(dir + "/resumed/meta/000001.json");
  const auto again = lagm::synth::synthesize(options(run, dir + "/resumed"));
  EXPECT_EQ(again.already_present, 1);
  EXPECT_EQ(again.written, 5);

  const auto a = read_tree(dir + "/whole"), b = read_tree(dir + "/sharded"),
             c = read_tree(dir + "/resumed");
  EXPECT_EQ(a.size(), 6u * 3 + 1);
  ASSERT_EQ(a, b);
  ASSERT_EQ(a, c);

  const auto info = nlohmann::json::parse(a.at("dataset.json"));
  EXPECT_EQ(info["samples"].size(), 3u);  // keep_top 0.5
  EXPECT_EQ(info["classes"].size(), 3u);
  lagm::data::FolderDataset ds(dir + "/whole");
  EXPECT_EQ(ds.size(), 3u);
}

TEST(Synthesize, QuantisesLikeTheReference) {
  auto x = torch::tensor({-1.1f, -1.0f, 0.0f, 0.99f, 1.0f}).view({1, 1, 1, 5}).expand({1, 3, 1, 5});
  auto q = lagm::io::quantize_generated(x);
  EXPECT_TRUE(torch::equal(q.select(3, 0).reshape(-1).to(torch::kInt32),
                           torch::tensor({0, 0, 128, 254, 255}, torch::kInt32)));
  // Read back, the float form equals what a reader of the written PNG gets.
  const auto back = lagm::io::as_synthesized(x);
  EXPECT_TRUE(torch::equal(back, q.permute({0, 3, 1, 2}).to(torch::kFloat32).div(127.5).sub(1.0)));
}

TEST(TrainSeg, LossFallsCheckpointsReloadAndRunResumes) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 8, 3);
  auto c = small_seg_config(dir + "/data", true, 6, 4);
  c.lr = 1e-2;
  c.flip = true;
  auto r = lagm::method::train_segmenter(c, dir + "/out", torch::kCPU);
  EXPECT_EQ(r.epochs_done, 6);
  EXPECT_LT(r.last_loss, r.first_loss * 0.9);
  EXPECT_GE(r.best_epoch, 0);
  const auto ckpt = lagm::models::read_model_checkpoint(dir + "/out/segmenter-005.safetensors");
  EXPECT_EQ(ckpt.kind, "segmenter");
  lagm::models::Segmenter reloaded(lagm::models::segmenter_config_from_json(ckpt.config, "ckpt"));
  lagm::core::load_state_dict(reloaded.module(), ckpt.tensors);

  // Extending the run resumes after epoch 5 instead of starting over.
  c.epochs = 7;
  std::vector<std::string> lines;
  r = lagm::method::train_segmenter(c, dir + "/out", torch::kCPU,
                                    [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(r.epochs_done, 7);
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0], HasSubstr("resumed after epoch 5"));
  EXPECT_TRUE(fs::exists(dir + "/out/segmenter-006.safetensors"));
}

TEST(Synthesize, WideCropKeepsTheCentralRowsLikeTheReference) {
  auto x = torch::arange(512, torch::kFloat32).view({1, 1, 512, 1}).expand({1, 1, 512, 512});
  auto y = lagm::method::wide_crop(x);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({1, 1, 384, 512}));
  EXPECT_EQ(y[0][0][0][0].item<float>(), 64.0f);  // rows 64..447
  EXPECT_EQ(y[0][0][383][0].item<float>(), 447.0f);
  EXPECT_EQ(lagm::method::wide_crop(y).sizes(), y.sizes());  // already 4:3: unchanged
  EXPECT_THROW(lagm::method::wide_crop(torch::zeros({1, 1, 100, 120})), lagm::InputError);
}

namespace {

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

TEST(TrainSeg, ClassFrequenciesOfADataSetCountEveryLabelMap) {
  const auto dir = lagm::test::fresh_temp_dir("freq").string();
  write_rare_part_dataset(dir + "/data", 5);
  const lagm::data::FolderDataset d(dir + "/data");
  const auto f = lagm::method::class_frequencies(d);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_DOUBLE_EQ(f[1], 0.5);
  EXPECT_DOUBLE_EQ(f[2], 4.0 / 256);
  EXPECT_DOUBLE_EQ(f[0], 1.0 - 0.5 - 4.0 / 256);
}

// The class-balanced loss (--class-balance 1) finds a part of 1.6 % of the pixels in a budget where
// the plain loss still labels it as background: the reason the demo's downstream U-Nets use it.
TEST(TrainSeg, ClassBalancedLossLearnsARarePartThePlainLossMisses) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg_cb").string();
  write_rare_part_dataset(dir + "/data", 16);
  auto dot_iou = [&](double power, const std::string& out) {
    auto c = small_seg_config(dir + "/data", false, 1, 4);
    c.samples_per_epoch = 160;
    c.lr = 1e-2;
    c.class_balance_power = power;
    lagm::method::train_segmenter(c, dir + "/" + out, torch::kCPU);
    auto seg = lagm::method::load_segmenter(dir + "/" + out + "/segmenter-000.safetensors");
    const lagm::data::FolderDataset d(dir + "/data");
    return lagm::eval::evaluate_segmenter(*seg.segmenter, d, torch::kCPU).metrics().iou[2];
  };
  const double plain = dot_iou(0.0, "plain"), balanced = dot_iou(1.0, "balanced");
  EXPECT_GT(balanced, 0.3);
  EXPECT_GT(balanced, plain + 0.2) << "plain " << plain << ", balanced " << balanced;
  lagm::method::SegmenterTrainConfig bad;
  bad.data.path = dir + "/data";
  bad.class_balance_power = 1.5;
  EXPECT_THROW(lagm::method::train_segmenter(bad, dir + "/bad", torch::kCPU), lagm::UsageError);
}

// A diverging run stops at the first non-finite loss (exit 1 through lagm::Error, naming where),
// before it writes a checkpoint or a validation line for that epoch.
TEST(TrainSeg, NonFiniteLossStopsTheRunNamingTheStep) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg_nan").string();
  write_rare_part_dataset(dir + "/data", 8);
  auto c = small_seg_config(dir + "/data", true, 2, 4);
  c.samples_per_epoch = 64;
  c.lr = 1e30;
  try {
    lagm::method::train_segmenter(c, dir + "/out", torch::kCPU);
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

// The crop a phase-I run trained on decides synthesis: a run on 4:3 crops synthesizes them without
// being asked, a run on square images refuses --wide-crop, and an annotator without a record (a
// pseudo-labelling fit) follows the option.
TEST(Synthesize, TheRunsRecordedCropDecidesWideCrop) {
  lagm::method::Snapshot wide, square, unrecorded;
  wide.info.run = {{"transform", {{"wide_crop", true}, {"resize", nullptr}}}};
  square.info.run = {{"transform", {{"wide_crop", false}, {"resize", nullptr}}}};
  unrecorded.info.run = {{"method", "pseudo_label"}};
  square.tensors.source = "runs/r/snapshots/000004.safetensors";
  EXPECT_TRUE(lagm::synth::snapshot_wide_crop(wide, false));
  EXPECT_TRUE(lagm::synth::snapshot_wide_crop(wide, true));
  EXPECT_FALSE(lagm::synth::snapshot_wide_crop(square, false));
  try {
    lagm::synth::snapshot_wide_crop(square, true);
    ADD_FAILURE() << "--wide-crop accepted for a square run";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("000004.safetensors"));
    EXPECT_THAT(e.what(), HasSubstr("--wide-crop"));
  }
  EXPECT_TRUE(lagm::synth::snapshot_wide_crop(unrecorded, true));
  EXPECT_FALSE(lagm::synth::snapshot_wide_crop(unrecorded, false));
}

// Sampling settings travel through a run's JSON and back unchanged; absent keys take the defaults.
TEST(Synthesize, SamplingSettingsRoundTripThroughTheRunJson) {
  lagm::models::SamplingOptions s;
  s.truncation_psi = 0.5;
  s.truncation_cutoff = c10::nullopt;
  s.noise_mode = lagm::models::NoiseMode::kConst;
  const auto back = lagm::models::sampling_options_from_json(lagm::models::to_json(s), "x");
  EXPECT_EQ(back.truncation_psi, 0.5);
  EXPECT_FALSE(back.truncation_cutoff.has_value());
  EXPECT_EQ(back.noise_mode, lagm::models::NoiseMode::kConst);
  const auto defaults = lagm::models::sampling_options_from_json(nlohmann::json::object(), "x");
  EXPECT_EQ(defaults.truncation_psi, lagm::models::SamplingOptions().truncation_psi);
  EXPECT_EQ(defaults.truncation_cutoff, lagm::models::SamplingOptions().truncation_cutoff);
  for (const nlohmann::json& bad :
       {nlohmann::json{{"truncation_psi", "0.7"}}, nlohmann::json{{"truncation_cutoff", -1}},
        nlohmann::json{{"noise_mode", "loud"}}}) {
    try {
      lagm::models::sampling_options_from_json(bad, "run.json");
      ADD_FAILURE() << bad.dump() << " accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("run.json."));
    }
  }
}

// A psi override changes the images (same seeds, less truncation) and dataset.json records the psi
// that made them; the run's own psi is what synthesis uses without one. A non-finite psi is
// refused.
TEST(Synthesize, TruncationOverrideChangesTheImagesAndIsRecorded) {
  const auto dir = lagm::test::fresh_temp_dir("synth_psi").string();
  const auto run = make_run(dir);
  auto o = options(run, dir + "/default");
  o.num = 2;
  lagm::synth::synthesize(o);
  o.out = dir + "/psi1";
  o.truncation_psi = 1.0;
  lagm::synth::synthesize(o);
  const auto info_default =
      nlohmann::json::parse(lagm::core::read_file(dir + "/default/dataset.json"));
  const auto info_psi1 = nlohmann::json::parse(lagm::core::read_file(dir + "/psi1/dataset.json"));
  EXPECT_EQ(info_default.at("truncation_psi").get<double>(),
            lagm::models::SamplingOptions().truncation_psi);
  EXPECT_EQ(info_psi1.at("truncation_psi").get<double>(), 1.0);
  const auto a = lagm::io::read_image(dir + "/default/img/000000.png");
  const auto b = lagm::io::read_image(dir + "/psi1/img/000000.png");
  EXPECT_GT((a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().mean().item<double>(), 0.5);
  o.out = dir + "/nan";
  o.truncation_psi = std::nan("");
  try {
    lagm::synth::synthesize(o);
    ADD_FAILURE() << "psi nan accepted";
  } catch (const lagm::UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--psi"));
  }
}

TEST(TrainSeg, InitStartsFromATrainedSegmenterOfTheSameShape) {
  const auto dir = lagm::test::fresh_temp_dir("trainseg_init").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 8, 3);
  auto c = small_seg_config(dir + "/data", false, 1, 4);
  c.lr = 1e-2;
  lagm::method::train_segmenter(c, dir + "/first", torch::kCPU);
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
    lagm::method::train_segmenter(f, dir + "/" + out, torch::kCPU);
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
  wide.segmenter["base_channels"] = 8;
  wide.init = dir + "/first/segmenter-000.safetensors";
  try {
    lagm::method::train_segmenter(wide, dir + "/wide", torch::kCPU);
    FAIL() << "a segmenter of another width was accepted as --init";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("first/segmenter-000.safetensors"));
  }
}

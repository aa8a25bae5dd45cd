// Phase I as a run: run directory contents, validation, and resume after a kill -9 that continues
// bit for bit.
#include "lagm/matching/annotator_trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fixtures.h"
#include "golden_case.h"
#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/error.h"
#include "lagm/core/runtime.h"
#include "lagm/core/safetensors.h"
#include "lagm/io/image.h"
#include "test_support.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

nlohmann::json small_config(const std::string& dir, int64_t total) {
  return {{"generator", dir + "/G.safetensors"},
          {"truncation_cutoff", nullptr},
          {"segmenter", {{"arch", "unet"}, {"base_channels", 4}}},
          {"annotator", {{"tmp_channels", 8}}},
          {"batch", 2},
          {"total_iters", total},
          {"niter_per_tick", 2},
          {"snapshot_ticks", 1},
          {"grid_size", 4},
          {"training_set", dir + "/labelled"},
          {"validation_set", dir + "/labelled"},
          {"run_name", "t"}};
}

void expect_same_snapshots(const std::string& a, const std::string& b) {
  const auto ta = lagm::core::read_safetensors(a).tensors,
             tb = lagm::core::read_safetensors(b).tensors;
  ASSERT_EQ(ta.size(), tb.size());
  for (const auto& [name, t] : ta.items()) EXPECT_TRUE(torch::equal(t, tb.at(name))) << name;
}

}  // namespace

TEST(AnnotatorTrainer, WritesRunDirectoryAndLearnsFromSnapshotsOn) {
  const auto dir = lagm::test::fresh_temp_dir("run").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  auto config = lagm::matching::annotator_train_config_from_json(small_config(dir, 6), "test");
  std::vector<std::string> lines;
  const auto r = lagm::matching::train_annotator(config, dir + "/runs", torch::kCPU,
                                                 [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(r.iterations, 6);
  EXPECT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], HasSubstr("iter 2/6"));
  EXPECT_THAT(lines[0], HasSubstr("ETA"));
  for (const char* f : {"config.json", "log.txt", "stats.jsonl", "metrics-val.jsonl", "best.json",
                        "grids/reals.png", "grids/fakes000006.png", "snapshots/000002.safetensors",
                        "snapshots/000006.safetensors"})
    EXPECT_TRUE(fs::exists(fs::path(r.run_dir) / f)) << f;
  EXPECT_GE(r.best_fg_miou, 0.0);
  const auto snap = lagm::annotator::read_snapshot(r.run_dir + "/snapshots/000006.safetensors");
  EXPECT_EQ(snap.info.iteration, 6);
  EXPECT_EQ(snap.info.class_names.size(), 3u);
  EXPECT_TRUE(snap.tensors.contains("optA.to_logit.6.weight.momentum_buffer"));
  auto a = lagm::annotator::load_snapshot_annotator(snap);
  EXPECT_EQ(a.num_classes(), 3);
  // The snapshot describes its S to whoever receives it: the labelled set, input size, metrics.
  const auto d =
      lagm::annotator::load_segmenter(r.run_dir + "/snapshots/000006.safetensors").description;
  EXPECT_TRUE(d.defaulted.empty());
  EXPECT_EQ(d.labelled_count, 4);
  EXPECT_EQ(d.labelled_source, dir + "/labelled");
  EXPECT_EQ(d.input_height, 32);
  EXPECT_EQ(d.precision, "fp32");
  EXPECT_EQ(d.validation.value("iteration", -1), 6);
}

// Phase I straight from a paper loader (here Pascal-Part's prepared crops, 40x40 -> 32x32): the
// labelled set is what PascalPartDataset returns, and its class names reach the snapshot.
TEST(AnnotatorTrainer, TrainsStraightFromAPaperLoader) {
  const auto dir = lagm::test::fresh_temp_dir("paper").string();
  lagm::test::write_small_generator(dir);
  const std::string root = dir + "/pascal_part/horse/train";
  fs::create_directories(root + "/CroppedImages");
  fs::create_directories(root + "/CroppedSegmentation");
  torch::manual_seed(3);
  std::ofstream train(root + "/train_set.txt"), val(root + "/val_set.txt");
  for (int i = 0; i < 5; ++i) {
    const std::string id = "2008_00000" + std::to_string(i) + "_0";
    lagm::io::write_png(root + "/CroppedImages/" + id + ".png",
                        torch::randint(0, 256, {40, 40, 3}).to(torch::kUInt8));
    lagm::io::write_mask_png(root + "/CroppedSegmentation/" + id + ".png",
                             torch::randint(0, 6, {40, 40}).to(torch::kUInt8));
    (i < 3 ? train : val) << id << "\n";
  }
  train.close();
  val.close();
  auto j = small_config(dir, 2);
  j["training_set"] = {{"class_name", "training.dataset.PascalPart"},
                       {"rootdir", root},
                       {"split", "train"},
                       {"img_folder", root + "/CroppedImages"},
                       {"seg_folder", root + "/CroppedSegmentation"},
                       {"img_size", 32}};
  j["validation_set"] = j["training_set"];
  j["validation_set"]["split"] = "val";
  auto config = lagm::matching::annotator_train_config_from_json(j, "test");
  const auto r = lagm::matching::train_annotator(config, dir + "/runs", torch::kCPU);
  EXPECT_EQ(r.iterations, 2);
  const auto snap = lagm::annotator::read_snapshot(r.run_dir + "/snapshots/000002.safetensors");
  EXPECT_EQ(snap.info.class_names,
            (std::vector<std::string>{"background", "head", "torso", "legs", "neck", "tail"}));
  // The run's config.json keeps the loader's kwargs, so a resume opens the same data.
  std::ifstream cfg(r.run_dir + "/config.json");
  const auto written = nlohmann::json::parse(cfg);
  EXPECT_EQ(written["training_set"]["class_name"], "training.dataset.PascalPart");
  EXPECT_EQ(written["validation_set"]["split"], "val");
  EXPECT_EQ(written["training_set"]["img_size"], 32);
}

TEST(AnnotatorTrainer, MissingBackboneWeightsAreNamedWithTheWayOut) {
  const auto dir = lagm::test::fresh_temp_dir("backbone").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 2, 3);
  auto j = small_config(dir, 2);
  j["segmenter"] = {{"arch", "deeplabv3_resnet50"}};
  j["segmenter_backbone"] = dir + "/resnet.safetensors";
  auto config = lagm::matching::annotator_train_config_from_json(j, "test");
  try {
    lagm::matching::train_annotator(config, dir + "/runs", torch::kCPU);
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("resnet.safetensors: no such file"));
    EXPECT_THAT(e.what(), HasSubstr("--backbone-weights none"));
  }
}

TEST(AnnotatorTrainer, RejectsLabelledImagesOfTheWrongSize) {
  const auto dir = lagm::test::fresh_temp_dir("size").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 2, 3, 24);
  auto config = lagm::matching::annotator_train_config_from_json(small_config(dir, 2), "test");
  try {
    lagm::matching::train_annotator(config, dir + "/runs", torch::kCPU);
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(
        e.what(),
        HasSubstr("labelled images are 24x24 but the generator (after the transform) makes 32x32"));
  }
}

TEST(AnnotatorTrainer, ConfigErrorsNameTheKey) {
  try {
    lagm::matching::annotator_train_config_from_json(
        {{"generator", "g"}, {"training_set", "x"}, {"batchsize", 2}}, "run.json");
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("run.json: unknown key 'batchsize'"));
  }
  try {
    lagm::matching::annotator_train_config_from_json(
        {{"generator", "g"}, {"training_set", "x"}, {"annotator_optimizer", {{"lr", -1}}}},
        "run.json");
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("run.json.annotator_optimizer.lr must be in (0, 10]"));
  }
}

// A run killed with SIGKILL mid-way and resumed ends with exactly the snapshot of an
// uninterrupted run: same weights, BN statistics, momentum buffers and RNG state.
TEST(AnnotatorTrainer, ResumeAfterKillIsBitIdentical) {
  const auto dir = lagm::test::fresh_temp_dir("kill").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  const int64_t total = 60;
  std::ofstream(dir + "/config.json") << small_config(dir, total).dump();
  const std::string lagm = LAGM_BINARY;
  const std::string common = " --threads 1 --config " + dir + "/config.json";

  ASSERT_EQ(
      lagm::test::run_command(lagm + " train-annotator" + common + " --out " + dir + "/full").first,
      0);

  const std::string pid_file = dir + "/pid";
  ASSERT_EQ(std::system((lagm + " train-annotator" + common + " --outdir " + dir +
                         "/killed > /dev/null 2>&1 & echo $! > " + pid_file)
                            .c_str()),
            0);
  std::string pid;
  std::ifstream(pid_file) >> pid;
  const std::string run = dir + "/killed/00000-t";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(run + "/snapshots/000010.safetensors") &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(std::system(("kill -9 " + pid).c_str()), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_FALSE(fs::exists(run + "/snapshots/000060.safetensors"))
      << "the run finished before it could be killed";

  const auto [code, out] =
      lagm::test::run_command(lagm + " train-annotator --threads 1 --resume " + run);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("resumed from"));
  expect_same_snapshots(dir + "/full/00000-t/snapshots/000060.safetensors",
                        run + "/snapshots/000060.safetensors");
}

// Gradient matching on DeepLab's head (`.*classifier.*`, the reference's DeepLab configs) against
// a Python transcription of the loop over torchvision's DeepLabv3-ResNet50
// (tools/python/make_gm_step_case.py), in float64: in float32 the two iterations amplify the
// summation order of ResNet's convolutions (which differs between CPUs and thread counts) past any
// tolerance that still tests something (one thread passed on the machine the case was made on; on
// an AMD EPYC the second iteration's labelled loss was off by 9e-4 against a tolerance of 1.4e-4);
// in float64 the answer is exact to ~1e-10.
TEST(GradientMatchingStep, MatchesPythonLoopOnTorchvisionDeepLabHead) {
  const auto dir = lagm::test::fresh_temp_dir("gm_deeplab").string();
  auto [code, out] =
      lagm::test::run_command("/usr/bin/python3 " + std::string(LAGM_SOURCE_DIR) +
                              "/tools/python/make_gm_step_case.py " + dir + " resnet50 --float64");
  ASSERT_EQ(code, 0) << out;
  const auto report = lagm::golden::run_golden_case(dir);
  ASSERT_TRUE(report.error.empty()) << report.error;
  ASSERT_GT(report.comparisons.size(), 600u);
  int failed = 0;
  for (const auto& c : report.comparisons)
    if (!c.pass && failed++ < 20)
      ADD_FAILURE() << c.name << " max_abs " << c.max_abs << " tol " << c.tolerance;
  fs::remove_all(dir);
}

// The reference's DeepLab configuration (torchvision DeepLabv3-ResNet101, random weights, 32 px,
// 4 classes, FPN width 16, `.*classifier.*`, SGD 1e-3 momentum 0.9 for A and S, batch 2, two
// iterations) is ill-conditioned in float32: the reference's own float32 result differs from its
// float64 one by 3-8 % on the ASPP gradients and by 15 % and more on the annotator's
// (docs/golden.md), so a float32 case only holds where both sides sum in the same order. In
// float64 the answer is exact to ~1e-10 whatever the order: lagm must match it on every random
// draw, with the default thread count.
TEST(GradientMatchingStep, MatchesFloat64PythonLoopOnDeepLabResnet101OverRandomDraws) {
  for (int seed : {0, 1, 2}) {
    const auto dir = lagm::test::fresh_temp_dir("gm_deeplab64_" + std::to_string(seed)).string();
    auto [code, out] = lagm::test::run_command(
        "/usr/bin/python3 " + std::string(LAGM_SOURCE_DIR) + "/tools/python/make_gm_step_case.py " +
        dir + " resnet101 --float64 --fpn-width 16 --a-lr 1e-3 --seed " + std::to_string(seed));
    ASSERT_EQ(code, 0) << out;
    const auto report = lagm::golden::run_golden_case(dir);
    ASSERT_TRUE(report.error.empty()) << report.error;
    ASSERT_GT(report.comparisons.size(), 600u);
    int failed = 0;
    for (const auto& c : report.comparisons)
      if (!c.pass && failed++ < 20)
        ADD_FAILURE() << "draw " << seed << ": " << c.name << " max_abs " << c.max_abs << " tol "
                      << c.tolerance;
    fs::remove_all(dir);
  }
}

// Counts in a phase-I config have ranges: a typo's 1e9 batch or 1e7-channel FPN is refused by key
// before anything is allocated.
TEST(AnnotatorTrainer, ConfigCountsOutsideTheirRangesAreRefusedByKey) {
  for (const auto& [key, value, named] :
       std::vector<std::tuple<std::string, nlohmann::json, std::string>>{
           {"batch", 1000000000, "run.json.batch must be in [1, 4096]"},
           {"label_batch", 1000000000, "run.json.label_batch"},
           {"grid_size", 1000000, "run.json.grid_size"},
           {"annotator", {{"tmp_channels", 10000000}}, "run.json.annotator.tmp_channels"},
           {"annotator", {{"num_layers", 1000000}}, "run.json.annotator.num_layers"}}) {
    nlohmann::json j = {{"generator", "g"}, {"training_set", "x"}};
    j[key] = value;
    try {
      lagm::matching::annotator_train_config_from_json(j, "run.json");
      ADD_FAILURE() << j.dump() << " accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr(named));
    }
  }
}

// lagm predict, export and info from the command line: a trained segmenter segments a folder of new
// images, the same command on a labelled folder agrees with eval, info shows the model's
// description, and bad usage exits 2 with one line naming the option or file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "fixtures.h"
#include "lagm/core/atomic_file.h"
#include "lagm/io/image.h"
#include "test_support.h"

using lagm::test::count_lines;
using lagm::test::run_command;
using ::testing::HasSubstr;

namespace {
const std::string kPredictLagm = LAGM_BINARY;
}  // namespace

TEST(PredictCli, SegmentsAFolderAndResumes) {
  const auto dir = lagm::test::fresh_temp_dir("predict_cli").string();
  const std::string model = lagm::test::write_small_segmenter(dir, 4);
  const auto cmd = kPredictLagm + " predict --model " + model + " --images " + dir +
                   "/data/img --out " + dir + "/pred --overlay --report --threads 1";
  auto [code, out] = run_command(cmd);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("4 images: 4 predicted"));
  EXPECT_THAT(out, HasSubstr("images/s"));
  EXPECT_EQ(lagm::io::read_mask_png(dir + "/pred/masks/000002.png").size(0), 32);
  EXPECT_TRUE(std::filesystem::exists(dir + "/pred/overlays/000002.png"));
  EXPECT_THAT(lagm::core::read_file(dir + "/pred/index.html"), HasSubstr("000003"));
  std::tie(code, out) = run_command(cmd);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("0 predicted, 4 already done"));
}

TEST(PredictCli, InfoShowsTheModelDescription) {
  const auto dir = lagm::test::fresh_temp_dir("info_cli").string();
  const std::string model = lagm::test::write_small_segmenter(dir, 3);
  const auto [code, out] = run_command(kPredictLagm + " info " + model);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("classes (3):"));
  EXPECT_THAT(out, HasSubstr("input: 32x32"));
  EXPECT_THAT(out, HasSubstr("labelled data: 3 images from " + dir + "/data"));
  EXPECT_THAT(out, HasSubstr("precision fp32, 1 process"));
}

TEST(PredictCli, ExportWritesWeightsAndManifest) {
  const auto dir = lagm::test::fresh_temp_dir("export_cli").string();
  const std::string model = lagm::test::write_small_segmenter(dir, 3);
  const auto [code, out] =
      run_command(kPredictLagm + " export --model " + model + " --out " + dir + "/x");
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/x/model.safetensors"));
  const auto manifest = nlohmann::json::parse(lagm::core::read_file(dir + "/x/model.json"));
  EXPECT_EQ(manifest.at("arch"), "unet");
  const auto [exported, why] =
      run_command(kPredictLagm + " predict --model " + dir + "/x/model.safetensors --images " +
                  dir + "/data/img --out " + dir + "/p");
  EXPECT_EQ(exported, 2) << why;
  EXPECT_THAT(why, HasSubstr("exported for PyTorch"));
  const auto [bad, msg] =
      run_command(kPredictLagm + " export --model " + model + " --out " + dir + "/y --format onnx");
  EXPECT_EQ(bad, 2);
  EXPECT_THAT(msg, HasSubstr("--format 'onnx'"));
}

TEST(PredictCli, BadUsageExitsTwoWithOneLine) {
  const auto dir = lagm::test::fresh_temp_dir("predict_cli_bad").string();
  const std::string model = lagm::test::write_small_segmenter(dir, 2);
  const std::string base = kPredictLagm + " predict --model " + model + " --out " + dir + "/o";
  for (const auto& [args, needle] : std::vector<std::pair<std::string, std::string>>{
           {" --images /no/such/folder", "/no/such/folder"},
           {" --images " + dir + "/data/img --batch 0", "--batch"},
           {" --images " + dir + "/data/img --res -4", "--res"},
           {" --images " + dir + "/data/dataset.json", "dataset.json"}}) {
    const auto [code, out] = run_command(base + args);
    EXPECT_EQ(code, 2) << args << ": " << out;
    EXPECT_THAT(out, HasSubstr(needle)) << args;
    EXPECT_EQ(count_lines(out), 1) << out;
  }
  const auto [code, out] =
      run_command(kPredictLagm + " predict --model " + dir + "/data/dataset.json" + " --images " +
                  dir + "/data/img --out " + dir + "/o");
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("dataset.json"));
}

TEST(PredictCli, ADemoArmFolderMeansItsBestCheckpointAndAPlainFolderIsRefused) {
  const auto dir = lagm::test::fresh_temp_dir("export_arm_cli").string();
  const std::string model = lagm::test::write_small_segmenter(dir, 3);
  // A demo arm's shape: <arm>/segmenter/ holds the run, epoch 1 the best of two.
  const auto run = std::filesystem::path(dir) / "arm/segmenter";
  std::filesystem::create_directories(run);
  std::filesystem::copy_file(model, run / "segmenter-001.safetensors");
  lagm::core::write_file_atomic((run / "metrics-val.jsonl").string(),
                                "{\"epoch\":0,\"fg_mIoU\":0.2}\n{\"epoch\":1,\"fg_mIoU\":0.5}\n");
  auto [code, out] =
      run_command(kPredictLagm + " export --model " + dir + "/arm --out " + dir + "/x");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("segmenter-001.safetensors: best validation FG-mIoU 0.5000 at 1"));
  std::tie(code, out) =
      run_command(kPredictLagm + " export --model " + dir + "/data --out " + dir + "/y");
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr(dir + "/data: --model is a folder but not a run"));
  EXPECT_EQ(count_lines(out), 1) << out;
}

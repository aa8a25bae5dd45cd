// The lagm executable: help, exit codes and one-line errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "fixtures.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/eval/evaluate.h"
#include "test_support.h"

using lagm::test::count_lines;
using lagm::test::run_command;
using ::testing::HasSubstr;

namespace {
const std::string kLagm = LAGM_BINARY;
}  // namespace

TEST(Cli, HelpForEveryCommandExitsZero) {
  for (const char* cmd : {"", "info", "generate", "train-annotator", "synthesize", "train-seg",
                          "eval", "predict", "export", "render", "train-gan"}) {
    const auto [code, out] = run_command(kLagm + " " + cmd + " --help");
    EXPECT_EQ(code, 0) << cmd;
    EXPECT_THAT(out, HasSubstr("Usage")) << cmd;
  }
}

TEST(Cli, UnknownOptionExitsTwo) {
  const auto [code, out] = run_command(kLagm + " info --bogus x");
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("--bogus"));
}

TEST(Cli, MissingFileExitsTwoWithOneLineNamingIt) {
  const auto [code, out] = run_command(kLagm + " info /no/such/file.safetensors");
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("/no/such/file.safetensors"));
  EXPECT_EQ(count_lines(out), 1) << out;
}

TEST(Cli, MalformedCheckpointExitsTwoWithOneLine) {
  const auto dir = lagm::test::fresh_temp_dir("cli");
  const auto path = (dir / "bad.safetensors").string();
  std::ofstream(path) << "garbage-garbage-garbage";
  const auto [code, out] = run_command(kLagm + " info " + path);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr(path + ": header length"));
  EXPECT_EQ(count_lines(out), 1) << out;
}

TEST(Cli, InfoPrintsTensorTable) {
  const auto [code, out] = run_command(kLagm + " info " + std::string(LAGM_GOLDEN_DIR) +
                                       "/sg2_skip_r32/weights.safetensors");
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("G.synthesis.b4.const"));
  EXPECT_THAT(out, HasSubstr("[32, 4, 4]"));
  EXPECT_THAT(out, HasSubstr("75 tensors"));
}

TEST(Cli, GenerateWritesGridAndFeatures) {
  const auto dir = lagm::test::fresh_temp_dir("gen");
  const std::string d = dir.string();
  // A checkpoint from the golden weights, converted by the project's converter.
  const std::string tools = std::string(LAGM_SOURCE_DIR) + "/tools";
  const std::string golden = std::string(LAGM_GOLDEN_DIR) + "/sg2_skip_r32";
  ASSERT_EQ(lagm::test::run_python_file("checkpoint_reference", {"golden-state-dict", golden,
                                                                 d + "/sd.pt", d + "/kw.json"}),
            0);
  ASSERT_EQ(run_command("/usr/bin/python3 " + tools + "/convert_stylegan2.py " + d + "/sd.pt " + d +
                        "/G.safetensors --kwargs " + d + "/kw.json")
                .first,
            0);
  const auto [code, out] = run_command(kLagm + " generate --generator " + d +
                                       "/G.safetensors --seeds 0-4 --psi 0.7 --out " + d +
                                       "/grid.png --features " + d + "/feat --threads 1");
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(std::ifstream(d + "/grid.png").good());
  EXPECT_TRUE(std::ifstream(d + "/feat/seed000004.safetensors").good());
  const auto [code2, out2] = run_command(kLagm + " info " + d + "/feat/seed000000.safetensors");
  EXPECT_THAT(out2, HasSubstr("features.3"));
  EXPECT_THAT(out2, HasSubstr("[8, 32, 32]"));
  const auto [bad, msg] =
      run_command(kLagm + " generate --generator " + d + "/G.safetensors --seeds 5-2");
  EXPECT_EQ(bad, 2);
  EXPECT_THAT(msg, HasSubstr("--seeds"));
}

// lagm eval on a fixture with a known prediction: the CLI's confusion matrix equals one computed
// here from the same model's predictions.
TEST(Cli, EvalReportsTheExactConfusionMatrix) {
  const auto dir = lagm::test::fresh_temp_dir("eval").string();
  const std::string model = lagm::test::write_small_segmenter(dir, 5);
  const auto [code, out] = run_command(kLagm + " eval --model " + model + " --data " + dir +
                                       "/data --json " + dir + "/m.json --grid " + dir + "/g.png");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("FG-mIoU"));
  EXPECT_THAT(out, HasSubstr("class2"));
  auto loaded = lagm::annotator::load_segmenter(model);
  lagm::data::FolderDataset ds(dir + "/data");
  const auto cm = lagm::eval::evaluate_segmenter(*loaded.segmenter, ds, torch::kCPU);
  const auto j = nlohmann::json::parse(lagm::core::read_file(dir + "/m.json"));
  const auto rows = j["confusion_pred_by_gt"].get<std::vector<std::vector<int64_t>>>();
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t g = 0; g < 3; ++g)
      EXPECT_EQ(rows[r][g], cm.counts()[r][g].item<int64_t>()) << r << "," << g;
  EXPECT_EQ(cm.counts().sum().item<int64_t>(), 5 * 32 * 32);
  EXPECT_TRUE(std::ifstream(dir + "/g.png").good());
  const auto [bad, msg] =
      run_command(kLagm + " eval --model " + dir + "/data/dataset.json --data " + dir + "/data");
  EXPECT_EQ(bad, 2);
  EXPECT_THAT(msg, HasSubstr("dataset.json"));
}

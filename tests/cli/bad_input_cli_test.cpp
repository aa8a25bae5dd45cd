// The bad-input catalogue: one case per class of malformed input a user can hand lagm. Each must
// end with exit code 2 and one line that names the file or the option and the problem, never a
// library message or a silent wrong answer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <fstream>

#include "fixtures.h"
#include "lagm/core/safetensors.h"
#include "lagm/io/folder_lock.h"
#include "test_support.h"

using lagm::test::count_lines;
using lagm::test::run_command;
using ::testing::HasSubstr;

namespace {

void expect_bad_input(const std::string& command, const std::vector<std::string>& named) {
  const auto [code, out] = run_command(std::string(LAGM_BINARY) + " " + command);
  EXPECT_EQ(code, 2) << command << "\n" << out;
  EXPECT_EQ(count_lines(out), 1) << command << "\n" << out;
  for (const auto& s : named) EXPECT_THAT(out, HasSubstr(s)) << command;
}

}  // namespace

TEST(BadInput, GeneratorWithNaNWeightsIsRefusedNamingTheTensor) {
  const auto dir = lagm::test::fresh_temp_dir("bad_nan_g").string();
  const auto path = lagm::test::write_small_generator(dir);
  auto file = lagm::core::read_safetensors(path);
  lagm::core::TensorDict poisoned;
  std::string victim;
  for (const auto& [name, t] : file.tensors.items()) {
    auto copy = t.clone();
    if (victim.empty() && copy.is_floating_point() && copy.numel() > 1) {
      victim = name;
      copy.view(-1)[1] = std::nan("");
    }
    poisoned.set(name, copy);
  }
  lagm::core::write_safetensors(dir + "/nan.safetensors", poisoned, file.metadata);
  expect_bad_input(
      "generate --generator " + dir + "/nan.safetensors --seeds 0-1 --out " + dir + "/out.png",
      {dir + "/nan.safetensors", victim, "non-finite"});
}

TEST(BadInput, NonFiniteNumericOptionsAreRefused) {
  const auto dir = lagm::test::fresh_temp_dir("bad_opts").string();
  const auto g = lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/data", 2, 3);
  expect_bad_input("generate --generator " + g + " --psi nan --out " + dir + "/o1.png",
                   {"--psi", "nan"});
  expect_bad_input("generate --generator " + g + " --psi inf --out " + dir + "/o2.png",
                   {"--psi", "inf"});
  expect_bad_input("train-seg --data " + dir + "/data --lr nan --out " + dir + "/o3", {"--lr"});
  expect_bad_input("demo --class-balance nan --out " + dir + "/o4", {"--class-balance"});
}

TEST(BadInput, SixteenBitMaskIsRefusedNamingTheFile) {
  const auto dir = lagm::test::fresh_temp_dir("bad_mask16").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 1, 3);
  const auto mask = dir + "/data/seg/000000.png";
  ASSERT_EQ(lagm::test::run_python("from PIL import Image\nimport numpy as np\n"
                                   "a = np.array(Image.open('" +
                                   mask +
                                   "')).astype(np.uint16)\n"
                                   "Image.fromarray(a).save('" +
                                   mask + "')\n"),
            0);
  expect_bad_input(
      "train-seg --data " + dir + "/data --base-channels 4 --epochs 1 --out " + dir + "/seg",
      {mask, "16-bit"});
}

TEST(BadInput, ConfigValuesAreParsedStrictly) {
  const auto dir = lagm::test::fresh_temp_dir("bad_config").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 2, 3);
  std::ofstream(dir + "/run.json")
      << R"({"generator": ")" << dir << R"(/G.safetensors", "training_set": ")" << dir
      << R"(/labelled", "batch": 2.5})";
  expect_bad_input("train-annotator --config " + dir + "/run.json --out " + dir + "/runs",
                   {dir + "/run.json", "batch", "integer"});
}

TEST(BadInput, UnknownCommandIsNamed) {
  expect_bad_input("tranin-seg --data x", {"unknown command 'tranin-seg'", "train-seg"});
}

TEST(BadInput, ASecondWriterOfAnOutputFolderExitsTwo) {
  const auto dir = lagm::test::fresh_temp_dir("bad_two_writers").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 2, 3);
  const lagm::io::FolderLock held(dir + "/seg");
  expect_bad_input(
      "train-seg --data " + dir + "/data --base-channels 4 --epochs 1 --out " + dir + "/seg",
      {dir + "/seg", "pid " + std::to_string(::getpid())});
}

// The one resume rule: a new run into a run's folder is refused and names --resume; --resume takes
// the run's own configuration, and an option that would change it is named.
TEST(BadInput, TrainingRunsContinueOnlyThroughResume) {
  const auto dir = lagm::test::fresh_temp_dir("bad_resume").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 2, 3);
  const std::string train =
      "train-seg --threads 1 --data " + dir + "/data --base-channels 4 --epochs 1 --out " + dir;
  ASSERT_EQ(run_command(std::string(LAGM_BINARY) + " " + train + "/seg").first, 0);
  expect_bad_input(train + "/seg", {dir + "/seg", "--resume"});
  expect_bad_input("train-seg --resume " + dir + "/seg --lr 0.5", {"--lr", "config.json"});
  expect_bad_input("train-seg --resume " + dir + "/data", {dir + "/data", "no config.json"});
  expect_bad_input("train-gan --resume " + dir + "/seg --batch 4", {"--batch"});
  expect_bad_input("train-annotator --resume " + dir + "/seg --config x.json", {"--config"});
  const auto [code, out] = run_command(
      std::string(LAGM_BINARY) + " train-seg --threads 1 --resume " + dir + "/seg --epochs 2");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("resumed after epoch 0"));
  EXPECT_THAT(out, HasSubstr("2 epochs"));
}

TEST(BadInput, IntegerOptionsAreParsedStrictly) {
  const auto dir = lagm::test::fresh_temp_dir("bad_ints").string();
  expect_bad_input("synthesize --run " + dir + " --shard 1x/4 --out " + dir + "/s",
                   {"--shard", "1x/4"});
  expect_bad_input("generate --generator " + dir + "/G.safetensors --threads -3",
                   {"--threads", "-3"});
  expect_bad_input("generate --generator " + dir + "/G.safetensors --cols -2", {"--cols", "-2"});
}

TEST(BadInput, ConfigErrorsNameTheConfigFileAndKey) {
  const auto dir = lagm::test::fresh_temp_dir("bad_config_keys").string();
  const auto base = R"({"generator": "G.safetensors", "training_set": "data")";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"(, "gm_params": "up4.*|(outc"})", "gm_params"},
      {R"(, "noise_mode": "loud"})", "noise_mode"},
      {R"(, "annotator": {"tmp_channels": 0}})", "annotator"},
      {R"(, "segmenter": {"arch": "unet", "num_classes": 5}})", "num_classes"}};
  for (const auto& [extra, key] : cases) {
    std::ofstream(dir + "/run.json") << base << extra;
    expect_bad_input("train-annotator --config " + dir + "/run.json --outdir " + dir + "/runs",
                     {dir + "/run.json", key});
  }
}

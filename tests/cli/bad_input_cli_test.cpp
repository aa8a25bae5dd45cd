// The bad-input catalogue: one case per class of malformed input a user can hand lagm. Each must
// end with exit code 2 and one line that names the file or the option and the problem, never a
// library message or a silent wrong answer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "fixtures.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/safetensors.h"
#include "lagm/data/folder_dataset.h"
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
  expect_bad_input("demo --gm-class-balance nan --out " + dir + "/o4", {"--gm-class-balance"});
}

TEST(BadInput, SixteenBitMaskIsRefusedNamingTheFile) {
  const auto dir = lagm::test::fresh_temp_dir("bad_mask16").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 1, 3);
  const auto mask = dir + "/data/seg/000000.png";
  ASSERT_EQ(lagm::test::run_python_file("data_reference", {"mask-to-16bit", mask}), 0);
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
  expect_bad_input("train-annotator --config " + dir + "/run.json --runs " + dir + "/runs",
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
  expect_bad_input("synthesize --run " + dir + " --shard 1x/4 --out " + dir + "-synthesized",
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
    expect_bad_input("train-annotator --config " + dir + "/run.json --runs " + dir + "/runs",
                     {dir + "/run.json", key});
  }
}

// Every numeric option has a range, checked before any work: zero and negative counts, batches
// that would divide by zero (eval --batch 0 died of SIGFPE), thresholds outside [0, 1], negative
// seeds (they wrapped to 2^64 - 1) and typos a thousand times too large.
TEST(BadInput, NumbersOutsideTheirRangesAreRefusedNamingTheOption) {
  const auto dir = lagm::test::fresh_temp_dir("bad_ranges").string();
  const auto model = lagm::test::write_small_segmenter(dir, 2);
  const std::string data = " --data " + dir + "/data";
  expect_bad_input("eval --model " + model + data + " --batch 0", {"--batch", "[1, 4096]"});
  expect_bad_input("eval --model " + model + data + " --threads 1000000", {"--threads", "1024"});
  expect_bad_input("eval --model " + model + data + " --seed -1", {"--seed", "4294967295"});
  expect_bad_input("render --res 7 --num 1 --out " + dir + "/r", {"--res", "[16, 4096]"});
  expect_bad_input("render --num 0 --out " + dir + "/r", {"--num"});
  expect_bad_input("synthesize --run " + dir + " --num 5 --keep-top 1.5 --out " + dir + "/s",
                   {"--keep-top", "[0, 1]"});
  expect_bad_input("train-seg" + data + " --epochs -3 --out " + dir + "/t", {"--epochs"});
  expect_bad_input("train-seg" + data + " --batch 1000000000 --out " + dir + "/t", {"--batch"});
  expect_bad_input("train-seg" + data + " --lr 0 --out " + dir + "/t", {"--lr"});
  expect_bad_input(
      "predict --model " + model + " --images " + dir + "/data --res 100000 --out " + dir + "/p",
      {"--res"});
}

// Sizes in a checkpoint's metadata are input too: a segmenter of 10^7 base channels or a
// generator of 10^9 channels would allocate before any tensor is compared. Refused by key.
TEST(BadInput, SizesInACheckpointsMetadataAreRanged) {
  const auto dir = lagm::test::fresh_temp_dir("bad_meta_sizes").string();
  const auto model = lagm::test::write_small_segmenter(dir, 2);
  const auto generator = lagm::test::write_small_generator(dir);
  auto poison = [&](const std::string& path, const std::string& out,
                    const std::function<void(nlohmann::json&)>& edit) {
    auto file = lagm::core::read_safetensors(path);
    auto meta = nlohmann::json::parse(file.metadata.at("lagm"));
    edit(meta["config"]);
    file.metadata["lagm"] = meta.dump();
    lagm::core::write_safetensors(out, file.tensors, file.metadata);
  };
  poison(model, dir + "/wide.safetensors",
         [](nlohmann::json& c) { c["base_channels"] = 10000000; });
  expect_bad_input("eval --model " + dir + "/wide.safetensors --data " + dir + "/data",
                   {"base_channels", "[1, 1024]", "10000000"});
  poison(model, dir + "/classes.safetensors", [](nlohmann::json& c) { c["num_classes"] = 100000; });
  expect_bad_input("eval --model " + dir + "/classes.safetensors --data " + dir + "/data",
                   {"num_classes", "[1, 255]"});
  poison(generator, dir + "/G_wide.safetensors",
         [](nlohmann::json& c) { c["synthesis_kwargs"]["channel_max"] = 1000000000; });
  expect_bad_input(
      "generate --generator " + dir + "/G_wide.safetensors --seeds 0 --out " + dir + "/g.png",
      {"channel_max", "1000000000"});
  poison(generator, dir + "/G_z.safetensors", [](nlohmann::json& c) { c["z_dim"] = 1 << 30; });
  expect_bad_input(
      "generate --generator " + dir + "/G_z.safetensors --seeds 0 --out " + dir + "/g.png",
      {"z_dim", "[1, 8192]"});
}

// Sizes inside their ranges can still be more than the machine holds: the memory they need is
// estimated before anything is allocated and refused with the estimate. LAGM_MEMORY_LIMIT stands
// in for a small machine, so that the verdicts hold on any machine.
TEST(BadInput, SizesBeyondTheMachinesMemoryAreRefusedBeforeAllocating) {
  const auto dir = lagm::test::fresh_temp_dir("bad_memory").string();
  const auto model = lagm::test::write_small_segmenter(dir, 2);
  const auto generator = lagm::test::write_small_generator(dir);
  const std::string small = "LAGM_MEMORY_LIMIT=1G ";
  auto expect_refused = [&](const std::string& command, const std::vector<std::string>& named) {
    const auto [code, out] = run_command(small + LAGM_BINARY + " " + command);
    EXPECT_EQ(code, 2) << command << "\n" << out;
    EXPECT_EQ(count_lines(out), 1) << command << "\n" << out;
    for (const auto& s : named) EXPECT_THAT(out, HasSubstr(s)) << command;
    EXPECT_THAT(out, HasSubstr("1.0 GB is available")) << command;
  };
  expect_refused(
      "eval --threads 1 --model " + model + " --data " + dir + "/data --res 8192 --batch 2",
      {"batch of 2 images of 8192x8192", "GB of memory"});
  expect_refused("predict --threads 1 --model " + model + " --images " + dir +
                     "/data/img --res 8192 --batch 2 --out " + dir + "/p",
                 {"batch of 2 images of 8192x8192"});
  expect_refused("train-seg --threads 1 --data " + dir +
                     "/data --res 4096 --batch 2 --base-channels 4 --out " + dir + "/t",
                 {"batch of 2 images of 4096x4096", "(training)"});
  expect_refused("project --threads 1 --generator " + generator + " --images " + dir +
                     "/data --w-avg-samples 10000000 --out " + dir + "/proj",
                 {"--w-avg-samples 10000000"});
  EXPECT_FALSE(std::filesystem::exists(dir + "/t/segmenter-000.safetensors"));
  // The same sizes at a size that fits run.
  const auto [code, out] = run_command(small + LAGM_BINARY + " eval --threads 1 --model " + model +
                                       " --data " + dir + "/data --batch 2");
  EXPECT_EQ(code, 0) << out;
}

// An empty value (an unset shell variable: --out "$OUT") is refused naming the option, not read as
// "not given" (a run without its output) or passed on as the path "".
TEST(BadInput, EmptyValuesAreRefusedNamingTheOption) {
  const auto dir = lagm::test::fresh_temp_dir("bad_empty").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 2, 3);
  expect_bad_input("train-seg --data " + dir + "/data --out ''", {"--out", "empty value"});
  expect_bad_input("eval --model '' --data " + dir + "/data", {"--model", "empty value"});
  expect_bad_input("eval --model m --data " + dir + "/data --json ''", {"--json", "empty value"});
  expect_bad_input("render --num 1 --out " + dir + "/r --style ''", {"--style", "empty value"});
  expect_bad_input("generate --generator g --out o.png --cutoff ''", {"--cutoff", "empty value"});
}

// An output never replaces an input: a metrics file written over the model, a grid over the
// generator, a file inside the data set's folder. The inputs stay as they were.
TEST(BadInput, OutputsThatWouldReplaceInputsAreRefused) {
  const auto dir = lagm::test::fresh_temp_dir("bad_out_over_in").string();
  const auto model = lagm::test::write_small_segmenter(dir, 2);
  const auto generator = lagm::test::write_small_generator(dir);
  const auto model_bytes = lagm::core::read_file(model);
  const auto generator_bytes = lagm::core::read_file(generator);
  expect_bad_input("eval --model " + model + " --data " + dir + "/data --json " + model,
                   {"--json", "--model"});
  expect_bad_input("eval --model " + model + " --data " + dir + "/data --json " + dir +
                       "/data/../data/metrics.json",
                   {"--json", "--data"});
  expect_bad_input("generate --generator " + generator + " --seeds 0-1 --out " + generator,
                   {"--out", "--generator"});
  expect_bad_input("export --model " + model + " --out " + model, {"--out", "--model"});
  expect_bad_input("train-seg --data " + dir + "/data --out " + dir + "/data/run",
                   {"--out", "--data"});
  EXPECT_EQ(lagm::core::read_file(model), model_bytes);
  EXPECT_EQ(lagm::core::read_file(generator), generator_bytes);
}

// Links planted in an output folder are never written through: a log or lock that is a link is
// refused, a final output that is a link is replaced by the file; the outside file stays intact.
TEST(BadInput, LinksPlantedInAnOutputFolderAreNotFollowed) {
  const auto dir = lagm::test::fresh_temp_dir("bad_links").string();
  lagm::core::write_file_atomic(dir + "/outside.txt", "precious");
  std::filesystem::create_directories(dir + "/render");
  std::filesystem::create_symlink(dir + "/outside.txt", dir + "/render/dataset.json");
  const auto [code, out] = run_command(
      std::string(LAGM_BINARY) + " render --res 16 --num 2 --threads 1 --out " + dir + "/render");
  ASSERT_EQ(code, 0) << out;
  EXPECT_FALSE(std::filesystem::is_symlink(dir + "/render/dataset.json"));
  EXPECT_EQ(lagm::core::read_file(dir + "/outside.txt"), "precious");

  lagm::test::write_random_folder_dataset(dir + "/data", 2, 3);
  std::filesystem::create_directories(dir + "/seg");
  std::filesystem::create_symlink(dir + "/outside.txt", dir + "/seg/log.txt");
  expect_bad_input("train-seg --data " + dir + "/data --base-channels 4 --epochs 1 --threads 1 " +
                       "--out " + dir + "/seg",
                   {"log.txt", "symbolic link"});
  std::filesystem::create_directories(dir + "/seg2");
  std::filesystem::create_symlink(dir + "/outside.txt", dir + "/seg2/.lock");
  expect_bad_input("train-seg --data " + dir + "/data --base-channels 4 --epochs 1 --threads 1 " +
                       "--out " + dir + "/seg2",
                   {".lock", "symbolic link"});
  EXPECT_EQ(lagm::core::read_file(dir + "/outside.txt"), "precious");

  // A folder link inside the output folder would carry every image written under it outside.
  std::filesystem::create_directories(dir + "/outside_folder");
  std::filesystem::create_directories(dir + "/render2");
  std::filesystem::create_symlink(dir + "/outside_folder", dir + "/render2/img");
  expect_bad_input("render --res 16 --num 2 --threads 1 --out " + dir + "/render2",
                   {dir + "/render2/img", "symbolic link"});
  const auto model = lagm::test::write_small_segmenter(dir + "/m", 2);
  std::filesystem::create_directories(dir + "/predicted");
  std::filesystem::create_symlink(dir + "/outside_folder", dir + "/predicted/masks");
  expect_bad_input("predict --threads 1 --model " + model + " --images " + dir +
                       "/m/data/img --out " + dir + "/predicted",
                   {dir + "/predicted/masks", "symbolic link"});
  EXPECT_TRUE(std::filesystem::is_empty(dir + "/outside_folder"));
}

// A data folder never describes what it does not hold: rerunning render with the same settings
// completes the folder; with another style, size or first seed it is refused, naming the setting.
TEST(BadInput, RerunsIntoADataFolderMustShareItsSettings) {
  const auto dir = lagm::test::fresh_temp_dir("bad_rerun_settings").string();
  const std::string render = std::string(LAGM_BINARY) + " render --threads 1 --res 16 --out " + dir;
  auto [code, out] = run_command(render + "/r --num 2");
  ASSERT_EQ(code, 0) << out;
  std::tie(code, out) = run_command(render + "/r --num 3");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("(2 already there)"));
  expect_bad_input("render --threads 1 --res 16 --num 3 --style flat --out " + dir + "/r",
                   {dir + "/r", "style \"photo\" -> \"flat\""});
  expect_bad_input("render --threads 1 --res 32 --num 3 --out " + dir + "/r",
                   {"resolution 16 -> 32"});
  expect_bad_input("render --threads 1 --res 16 --num 3 --seed 9 --out " + dir + "/r",
                   {"first_seed 0 -> 9"});
  const auto info = nlohmann::json::parse(lagm::core::read_file(dir + "/r/dataset.json"));
  EXPECT_EQ(info.at("source").at("style"), "photo");
  EXPECT_EQ(info.at("source").at("count"), 3);
}

// Inputs that used to end in a library message or a silent wrong answer: a set whose every label
// is 255 scored as 0 with exit 0, a "samples" entry that is not a list silently ignored.
TEST(BadInput, NothingToScoreAndMalformedSampleListsAreNamed) {
  const auto dir = lagm::test::fresh_temp_dir("bad_nothing_to_score").string();
  const auto model = lagm::test::write_small_segmenter(dir, 2);
  lagm::data::write_dataset_json(dir + "/ignored", {{"classes", {"a", "b", "c"}}});
  lagm::data::write_folder_sample(dir + "/ignored", "x", torch::zeros({32, 32, 3}, torch::kUInt8),
                                  torch::full({32, 32}, 255, torch::kUInt8));
  expect_bad_input("eval --model " + model + " --data " + dir + "/ignored",
                   {dir + "/ignored", "no labelled pixels"});
  lagm::data::write_dataset_json(dir + "/data",
                                 {{"classes", {"a", "b", "c"}}, {"samples", "000000"}});
  expect_bad_input("eval --model " + model + " --data " + dir + "/data",
                   {"dataset.json", "\"samples\""});
}

// A run's config.json records absolute paths: resumed from another working directory, it trains
// on the same data (relative paths used to name other files there, or none).
TEST(BadInput, ResumeDoesNotDependOnTheWorkingDirectory) {
  const auto dir = lagm::test::fresh_temp_dir("resume_cwd").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 2, 3);
  auto [code, out] = run_command("cd " + dir + " && " + std::string(LAGM_BINARY) +
                                 " train-seg --data data --base-channels 4 --epochs 1 --threads 1 "
                                 "--out run");
  ASSERT_EQ(code, 0) << out;
  const auto config = nlohmann::json::parse(lagm::core::read_file(dir + "/run/config.json"));
  EXPECT_THAT(config.dump(), HasSubstr("\"" + dir + "/data\""));
  std::tie(code, out) = run_command("cd / && " + std::string(LAGM_BINARY) + " train-seg --resume " +
                                    dir + "/run --epochs 2 --threads 1");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("resumed after epoch 0"));

  // The data changed under the saved run (other images under the same path): refused, naming it.
  std::filesystem::remove_all(dir + "/data");
  lagm::test::write_random_folder_dataset(dir + "/data", 2, 3, 32, 5);
  expect_bad_input("train-seg --resume " + dir + "/run --epochs 3 --threads 1",
                   {dir + "/run", "--data", "not the data the saved run was trained on"});
  EXPECT_FALSE(std::filesystem::exists(dir + "/run/segmenter-002.safetensors"));
}

// Every input is read before training: a broken validation image used to surface only after the
// first epoch's training, which was then lost. Labels without a labelled pixel are named as such,
// not left to a NaN loss blamed on the learning rate.
TEST(BadInput, InputsAreReadBeforeTraining) {
  const auto dir = lagm::test::fresh_temp_dir("bad_read_first").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 2, 3);
  lagm::test::write_random_folder_dataset(dir + "/val", 2, 3);
  lagm::core::write_file_atomic(dir + "/val/seg/000001.png", "truncated");
  expect_bad_input("train-seg --data " + dir + "/data --val " + dir +
                       "/val --base-channels 4 --epochs 1 --threads 1 --out " + dir + "/run",
                   {"000001.png"});
  EXPECT_FALSE(std::filesystem::exists(dir + "/run/segmenter-000.safetensors"));

  lagm::data::write_dataset_json(dir + "/ignored", {{"classes", {"a", "b", "c"}}});
  for (const char* id : {"x", "y"})
    lagm::data::write_folder_sample(dir + "/ignored", id, torch::zeros({32, 32, 3}, torch::kUInt8),
                                    torch::full({32, 32}, 255, torch::kUInt8));
  expect_bad_input("train-seg --data " + dir +
                       "/ignored --base-channels 4 --epochs 1 --threads "
                       "1 --out " +
                       dir + "/run2",
                   {dir + "/ignored", "no labelled pixel"});

  // Phase I: one labelled image without a labelled pixel is refused, naming the count.
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 2, 3);
  lagm::data::write_folder_sample(dir + "/labelled", "000001",
                                  torch::zeros({32, 32, 3}, torch::kUInt8),
                                  torch::full({32, 32}, 255, torch::kUInt8));
  lagm::core::write_file_atomic(dir + "/run.json",
                                lagm::test::small_annotator_run_json(dir).dump());
  expect_bad_input(
      "train-annotator --config " + dir + "/run.json --threads 1 --runs " + dir + "/gm",
      {"1 of its 2 labelled images have no labelled pixel"});
}

// Images too small for the network are refused before any work, naming the data and the size
// (the U-Net's fourth pooling of an 8x8 image ended in a LibTorch message).
TEST(BadInput, ImagesTooSmallForTheNetworkAreRefused) {
  const auto dir = lagm::test::fresh_temp_dir("bad_tiny").string();
  const auto model = lagm::test::write_small_segmenter(dir, 2);
  lagm::test::write_random_folder_dataset(dir + "/tiny", 2, 3, 8);
  expect_bad_input(
      "train-seg --data " + dir + "/tiny --base-channels 4 --epochs 1 --out " + dir + "/t",
      {dir + "/tiny", "8x8", "16x16"});
  expect_bad_input("eval --model " + model + " --data " + dir + "/tiny", {"8x8", "16x16"});
  expect_bad_input("eval --model " + model + " --data " + dir + "/data --res 8", {"8x8"});
}

// One meaning per option name: the renamed spellings still work for a release and say the new
// name; a yes/no option takes on|off (bare = on) in every command.
TEST(BadInput, RenamedOptionsStillWorkAndSayTheirNewName) {
  const auto dir = lagm::test::fresh_temp_dir("renamed_opts").string();
  const auto [code, out] = run_command(std::string(LAGM_BINARY) + " train-annotator --config " +
                                       dir + "/absent.json --out " + dir + "/runs");
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("--out is now --runs"));
  EXPECT_THAT(out, HasSubstr("absent.json"));
  const auto [demo_code, demo_out] =
      run_command(std::string(LAGM_BINARY) + " demo --class-balance 3 --out " + dir + "/d");
  EXPECT_EQ(demo_code, 2) << demo_out;
  EXPECT_THAT(demo_out, HasSubstr("--class-balance is now --gm-class-balance"));
  EXPECT_THAT(demo_out, HasSubstr("--gm-class-balance 3: must be in [0, 1]"));
  expect_bad_input("synthesize --calibrate-priors maybe --run " + dir + " --out " + dir + "/s",
                   {"--calibrate-priors", "on or off"});
}

// The library names a bad setting by its key; the CLI says it with the option that sets it, other
// settings the message names included.
TEST(BadInput, SettingsTheLibraryRefusesAreNamedByTheirOptions) {
  const auto dir = lagm::test::fresh_temp_dir("setting_names").string();
  lagm::test::write_random_folder_dataset(dir + "/data", 2, 3);
  expect_bad_input("train-seg --data " + dir + "/data --mix-per-batch 2 --out " + dir + "/o1",
                   {"--mix-per-batch needs --mix-data"});
  expect_bad_input("train-seg --data " + dir + "/data --sync-bn --out " + dir + "/o2",
                   {"--sync-bn needs a data-parallel run"});
  expect_bad_input("train-seg --data " + dir + "/data --ssl teacher --out " + dir + "/o3",
                   {"--ssl must be mean_teacher or adversarial"});
  expect_bad_input(
      "train-seg --data " + dir + "/data --unlabelled-per-batch 3 --out " + dir + "/o4",
      {"--unlabelled-per-batch needs --unlabelled"});
  expect_bad_input("train-seg --data " + dir + "/data --unlabelled " + dir +
                       "/data --teacher-decay 1 --out " + dir + "/o5",
                   {"--teacher-decay must be in [0, 1)"});
}

// The supervised arm from the command line: `generate --images` writes the images to label and
// what made them, `train-annotator-supervised` fits an annotator to the labels without being told
// the generator or its settings again, and `synthesize` takes the run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "fixtures.h"
#include "lagm/core/atomic_file.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/image.h"
#include "test_support.h"

namespace {

using lagm::test::run_command;
using ::testing::HasSubstr;
const std::string kSupervisedLagm = LAGM_BINARY;

TEST(SupervisedCli, GeneratedImagesLabelledThenFittedThenSynthesized) {
  const auto dir = lagm::test::fresh_temp_dir("supervised_cli").string();
  lagm::test::write_small_generator(dir);
  const std::string labels = dir + "/labels";
  auto [code, out] = run_command(kSupervisedLagm + " generate --threads 1 --generator " + dir +
                                 "/G.safetensors --seeds 3,5,8 --psi 0.7 --cutoff 8 --out " + dir +
                                 "/grid.png --images " + labels);
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(std::filesystem::exists(labels + "/generated.json"));
  // The person labelling: three bands of the red channel.
  lagm::data::write_dataset_json(labels, {{"classes", {"dark", "middle", "bright"}}});
  std::filesystem::create_directories(labels + "/seg");
  for (const char* name : {"seed000003", "seed000005", "seed000008"}) {
    const auto red = lagm::io::read_image(labels + "/img/" + name + ".png").select(2, 0);
    const auto mask = (red > 85).to(torch::kUInt8) + (red > 170).to(torch::kUInt8);
    lagm::io::write_mask_png(labels + "/seg/" + name + ".png", mask);
  }
  std::tie(code, out) =
      run_command(kSupervisedLagm + " train-annotator-supervised --threads 1 --labels " + labels +
                  " --steps 20 --batch 2 --tmp-channels 8 --snapshot-steps 10 "
                  "--out " +
                  dir + "/run");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("000020.safetensors"));
  std::tie(code, out) = run_command(kSupervisedLagm + " synthesize --threads 1 --run " + dir +
                                    "/run --num 3 --out " + dir + "/synth");
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(lagm::data::FolderDataset(dir + "/synth").size(), 3u);
  // Told another truncation than the images were made with, it refuses them by name.
  std::tie(code, out) =
      run_command(kSupervisedLagm + " train-annotator-supervised --threads 1 --labels " + labels +
                  " --psi 0.3 --steps 2 --out " + dir + "/wrong");
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("seed000003"));
}

}  // namespace

namespace {

// The inversion arm from the command line: `project` inverts labelled real images (resumably),
// `train-annotator-supervised --projections` fits an annotator to their projections' features
// (the generator read from the projection folder), and `synthesize` takes the run.
TEST(SupervisedCli, RealImagesProjectedThenFittedThenSynthesized) {
  const auto dir = lagm::test::fresh_temp_dir("inversion_cli").string();
  lagm::test::write_small_generator(dir);
  const std::string labels = dir + "/labelled";
  lagm::test::write_random_folder_dataset(labels, 2, 3);
  const std::string project = kSupervisedLagm + " project --threads 1 --generator " + dir +
                              "/G.safetensors --images " + labels + " --out " + dir +
                              "/proj --steps 30 --w-avg-samples 200";
  auto [code, out] = run_command(project);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("mean PSNR"));
  EXPECT_THAT(out, HasSubstr("projected 2/2"));
  const auto info = nlohmann::json::parse(lagm::core::read_file(dir + "/proj/projection.json"));
  EXPECT_EQ(info.at("distance"), "mse");
  EXPECT_EQ(info.at("per_image").size(), 2u);
  EXPECT_GT(info.at("mean_psnr").get<double>(), 5.0);
  // Rerun: nothing left to project, the same record.
  std::tie(code, out) = run_command(project);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("projected 1/2")));
  EXPECT_EQ(
      nlohmann::json::parse(lagm::core::read_file(dir + "/proj/projection.json")).at("mean_psnr"),
      info.at("mean_psnr"));

  std::tie(code, out) =
      run_command(kSupervisedLagm + " train-annotator-supervised --threads 1 --labels " + labels +
                  " --projections " + dir + "/proj --steps 6 --batch 2 --tmp-channels 8 " +
                  "--snapshot-steps 3 --out " + dir + "/run");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("000006.safetensors"));
  EXPECT_THAT(lagm::core::read_file(dir + "/run/log.txt"), HasSubstr("mean PSNR"));
  std::tie(code, out) = run_command(kSupervisedLagm + " synthesize --threads 1 --run " + dir +
                                    "/run --num 2 --out " + dir + "/synth");
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(lagm::data::FolderDataset(dir + "/synth").size(), 2u);

  // Without the projections, the real images are refused: they are no seeds.
  std::tie(code, out) =
      run_command(kSupervisedLagm + " train-annotator-supervised --threads 1 --generator " + dir +
                  "/G.safetensors --labels " + labels + " --out " + dir + "/run2");
  EXPECT_EQ(code, 2) << out;
}

}  // namespace

// lagm render, train-gan and gan-quality from the command line: outputs, resume, bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lagm/core/atomic_file.h"
#include "lagm/core/safetensors.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/image.h"
#include "lagm/toy/faces.h"
#include "test_support.h"

namespace {

using lagm::test::run_command;
using ::testing::HasSubstr;
const std::string kLagmExe = LAGM_BINARY;

TEST(RenderCli, WritesTheFolderLayoutWithExactMasksAndResumes) {
  const auto dir = lagm::test::fresh_temp_dir("render_cli").string() + "/set";
  auto [code, out] = run_command(
      kLagmExe + " render --domain faces --style flat --res 48 --num 20 --seed 500 --out " + dir);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("img/s"));
  lagm::data::FolderDataset ds(dir);
  ASSERT_EQ(ds.size(), 20u);
  EXPECT_EQ(ds.class_names(), lagm::toy::face_class_names());
  EXPECT_EQ(ds.ids().front(), "seed00000500");
  // Sample 3 is seed 503, byte for byte.
  const auto expected = lagm::toy::render_face(503, lagm::toy::Style::kFlat, 48);
  const auto mask = lagm::io::read_mask_png(dir + "/seg/seed00000503.png");
  ASSERT_EQ(mask.numel(), 48 * 48);
  EXPECT_TRUE(std::equal(expected.labels.begin(), expected.labels.end(), mask.data_ptr<uint8_t>()));
  EXPECT_TRUE(std::filesystem::exists(dir + "/preview.png"));
  // Re-running keeps finished samples (resume) and renders the missing one.
  std::filesystem::remove(dir + "/seg/seed00000518.png");
  std::tie(code, out) = run_command(
      kLagmExe + " render --domain faces --style flat --res 48 --num 20 --seed 500 --out " + dir);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("(19 already there)"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/seg/seed00000518.png"));

  std::tie(code, out) = run_command(kLagmExe + " render --style sketch --out " + dir);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("unknown style 'sketch'"));
}

// Rendering and PNG writing are spread over the threads; the files do not depend on how many.
TEST(RenderCli, TheFilesAreTheSameBytesWithOneThreadOrTwo) {
  const auto dir = lagm::test::fresh_temp_dir("render_threads").string();
  for (const char* threads : {"1", "2"}) {
    const auto [code, out] =
        run_command(kLagmExe + " render --style photo --res 32 --num 12 --seed 7 --threads " +
                    threads + " --out " + dir + "/t" + threads);
    ASSERT_EQ(code, 0) << out;
  }
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/t1")) {
    // The lock file holds the writer's pid.
    if (!e.is_regular_file() || e.path().filename() == ".lock") continue;
    const auto rel = std::filesystem::relative(e.path(), dir + "/t1").string();
    ++files;
    EXPECT_EQ(lagm::core::read_file(e.path().string()), lagm::core::read_file(dir + "/t2/" + rel))
        << rel;
  }
  EXPECT_EQ(files,
            2 * 12 + 3);  // image and mask per sample, dataset.json, render.json, the preview
}

TEST(TrainGanCli, TrainsResumesAndRefusesToOverwrite) {
  const auto dir = lagm::test::fresh_temp_dir("train_gan_cli");
  const std::string config = (dir / "gan.json").string(), run = (dir / "run").string();
  lagm::core::write_file_atomic(config,
                                R"({"generator": {"z_dim": 16, "w_dim": 16, "img_resolution": 16,
      "mapping_kwargs": {"num_layers": 2}, "synthesis_kwargs": {"channel_base": 128, "channel_max": 16}},
      "discriminator": {"img_resolution": 16, "channel_base": 128, "channel_max": 16},
      "batch": 4, "total_kimg": 0.008, "snapshot_kimg": 0.008})");
  auto [code, out] = run_command(kLagmExe + " train-gan --config " + config + " --out " + run);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("8 images shown"));
  std::tie(code, out) = run_command(kLagmExe + " train-gan --resume " + run + " --kimg 0.016");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("16 images shown"));
  std::tie(code, out) = run_command(kLagmExe + " train-gan --config " + config + " --out " + run);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("--resume"));
  std::tie(code, out) = run_command(kLagmExe + " train-gan --resume " + (dir / "nothing").string());
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("no GAN training state"));
}

}  // namespace

// gan-quality judges a faces generator with an oracle; --oracle takes a train-seg run folder (its
// best checkpoint), as --model does, and the histograms it prints are fractions of the pixels.
TEST(GanQualityCli, TheOracleMayBeARunFolder) {
  const auto dir = lagm::test::fresh_temp_dir("ganq").string();
  auto [code, out] = run_command(
      kLagmExe + " render --domain faces --style photo --res 64 --num 6 --seed 3 --out " + dir +
      "/renders --threads 1");
  ASSERT_EQ(code, 0) << out;
  std::tie(code, out) = run_command(kLagmExe + " train-seg --data " + dir + "/renders --val " +
                                    dir + "/renders --out " + dir +
                                    "/oracle --epochs 1 --batch 2 --base-channels 4 --threads 1");
  ASSERT_EQ(code, 0) << out;
  std::tie(code, out) =
      run_command(kLagmExe + " gan-quality --generator " + std::string(LAGM_SOURCE_DIR) +
                  "/models/faces64.safetensors --oracle " + dir +
                  "/oracle --num 4 --threads 1 --json " + dir + "/q.json");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("best validation FG-mIoU"));
  const auto q = nlohmann::json::parse(lagm::core::read_file(dir + "/q.json"));
  double total = 0;
  for (const auto& f : q["generated"]["class_fraction"]) total += f.get<double>();
  EXPECT_NEAR(total, 1.0, 1e-6);
}

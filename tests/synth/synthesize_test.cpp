// Phase II, synthesis: deterministic per seed across whole / sharded / interrupted runs (byte for
// byte), quantised and cropped as the reference does, with the run's own sampling settings.
#include "lagm/synth/synthesize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "fixtures.h"
#include "lagm/annotator/transform_pipe.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/image.h"
#include "lagm/matching/annotator_trainer.h"
#include "test_support.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

// A tiny finished train-annotator run to synthesize from.
std::string make_run(const std::string& dir) {
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  auto config = lagm::matching::annotator_train_config_from_json(
      lagm::test::small_annotator_run_json(dir), "test");
  return lagm::matching::train_annotator(config, dir + "/runs", torch::kCPU).run_dir;
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
  EXPECT_EQ(a.size(), 6u * 3 + 2);  // image, mask, meta per sample; dataset.json, synthesis.json
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

TEST(Synthesize, WideCropKeepsTheCentralRowsLikeTheReference) {
  auto x = torch::arange(512, torch::kFloat32).view({1, 1, 512, 1}).expand({1, 1, 512, 512});
  auto y = lagm::annotator::wide_crop(x);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({1, 1, 384, 512}));
  EXPECT_EQ(y[0][0][0][0].item<float>(), 64.0f);  // rows 64..447
  EXPECT_EQ(y[0][0][383][0].item<float>(), 447.0f);
  EXPECT_EQ(lagm::annotator::wide_crop(y).sizes(), y.sizes());  // already 4:3: unchanged
  EXPECT_THROW(lagm::annotator::wide_crop(torch::zeros({1, 1, 100, 120})), lagm::InputError);
}

// The class-balanced loss (--class-balance 1) finds a part of 1.6 % of the pixels in a budget where
// the plain loss still labels it as background: the reason the demo's downstream U-Nets use it.

// A diverging run stops at the first non-finite loss (exit 1 through lagm::Error, naming where),
// before it writes a checkpoint or a validation line for that epoch.

// The crop a phase-I run trained on decides synthesis: a run on 4:3 crops synthesizes them without
// being asked, a run on square images refuses --wide-crop, and an annotator without a record (a
// pseudo-labelling fit) follows the option.
TEST(Synthesize, TheRunsRecordedCropDecidesWideCrop) {
  lagm::annotator::Snapshot wide, square, unrecorded;
  wide.info.provenance.wide_crop = true;
  square.info.provenance.wide_crop = false;
  unrecorded.info.provenance.learner = "pseudo_label";
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
  } catch (const lagm::SettingError& e) {  // the CLI says it as --psi (setting_names)
    EXPECT_EQ(e.key(), "truncation_psi");
    EXPECT_THAT(e.what(), HasSubstr("finite"));
  }
}

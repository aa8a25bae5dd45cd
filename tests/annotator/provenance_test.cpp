// A snapshot's provenance (where its annotator came from) is written and read with the snapshot in
// one place: every field comes back as it was written, snapshots written before the record existed
// have it read from their run's configuration, and a malformed value is refused naming the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "test_support.h"

namespace {

using ::testing::HasSubstr;
namespace annotator = lagm::annotator;

lagm::core::TensorDict one_tensor() {
  lagm::core::TensorDict t;
  t.set("A.w", torch::ones({2}));
  return t;
}

TEST(Provenance, ComesBackFromTheSnapshotAsItWasWritten) {
  const auto dir = lagm::test::fresh_temp_dir("provenance_round_trip");
  annotator::SnapshotInfo info;
  info.provenance.learner = "gradient_matching";
  info.provenance.generator = "G.safetensors";
  info.provenance.sampling.truncation_psi = 0.5;
  info.provenance.sampling.truncation_cutoff = 6;
  info.provenance.sampling.noise_mode = lagm::models::NoiseMode::kConst;
  info.provenance.wide_crop = true;
  info.provenance.training_set = lagm::data::DatasetSpec{};
  info.provenance.training_set->path = "labelled";
  info.segmenter = lagm::models::SegmenterConfig{};
  info.segmenter->num_classes = 3;
  info.segmenter->base_channels = 8;
  const auto path = annotator::snapshot_path(dir.string(), 40);
  annotator::write_snapshot(path, info, one_tensor());

  const auto back = annotator::read_snapshot(path);
  const auto& p = back.info.provenance;
  EXPECT_EQ(p.learner, "gradient_matching");
  EXPECT_EQ(p.generator, "G.safetensors");
  EXPECT_EQ(p.sampling.truncation_psi, 0.5);
  ASSERT_TRUE(p.sampling.truncation_cutoff.has_value());
  EXPECT_EQ(*p.sampling.truncation_cutoff, 6);
  EXPECT_EQ(p.sampling.noise_mode, lagm::models::NoiseMode::kConst);
  ASSERT_TRUE(p.wide_crop.has_value());
  EXPECT_TRUE(*p.wide_crop);
  ASSERT_TRUE(p.training_set.has_value());
  EXPECT_EQ(p.training_set->path, "labelled");
  ASSERT_TRUE(back.info.segmenter.has_value());
  EXPECT_EQ(*back.info.segmenter, *info.segmenter);
}

TEST(Provenance, ALearnerWithoutTransformOrSegmenterRecordsNone) {
  const auto dir = lagm::test::fresh_temp_dir("provenance_supervised");
  annotator::SnapshotInfo info;
  info.provenance.learner = "supervised";
  const auto path = annotator::snapshot_path(dir.string(), 2);
  annotator::write_snapshot(path, info, one_tensor());
  const auto back = annotator::read_snapshot(path);
  EXPECT_FALSE(back.info.provenance.wide_crop.has_value());
  EXPECT_FALSE(back.info.provenance.training_set.has_value());
  EXPECT_FALSE(back.info.segmenter.has_value());
  try {
    annotator::load_snapshot_segmenter(back);
    ADD_FAILURE() << "a segmenter was built from a snapshot that holds none";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("000002.safetensors"));
  }
}

// Before the record existed, synthesis read the same keys from the run's configuration.
TEST(Provenance, OlderSnapshotsHaveItReadFromTheirRun) {
  const auto dir = lagm::test::fresh_temp_dir("provenance_legacy");
  const nlohmann::json run = {{"generator", "G.safetensors"},
                              {"truncation_psi", 0.7},
                              {"learner", "maml"},
                              {"transform", {{"wide_crop", false}, {"resize", nullptr}}},
                              {"training_set", {{"path", "labelled"}}}};
  const nlohmann::json meta = {
      {"kind", "annotator_snapshot"},
      {"config",
       {{"iteration", 4},
        {"annotator", nullptr},
        {"segmenter", {{"arch", "unet"}, {"num_classes", 3}, {"base_channels", 4}}},
        {"run", run},
        {"class_names", {"a", "b", "c"}},
        {"sampler", {{"epoch", 0}, {"position", 0}}},
        {"best", {{"fg_mIoU", -1}, {"iteration", -1}}}}}};
  std::filesystem::create_directories(dir / "snapshots");
  const auto path = annotator::snapshot_path(dir.string(), 4);
  lagm::core::write_safetensors(path, one_tensor(), {{"lagm", meta.dump()}, {"format", "pt"}});

  const auto p = annotator::read_snapshot(path).info.provenance;
  EXPECT_EQ(p.learner, "maml");
  EXPECT_EQ(p.generator, "G.safetensors");
  EXPECT_EQ(p.sampling.truncation_psi, 0.7);
  ASSERT_TRUE(p.wide_crop.has_value());
  EXPECT_FALSE(*p.wide_crop);
  ASSERT_TRUE(p.training_set.has_value());
  EXPECT_EQ(p.training_set->path, "labelled");
}

TEST(Provenance, MalformedValuesAreRefusedNamingWhere) {
  EXPECT_EQ(annotator::provenance_from_json({{"method", "pseudo_label"}}, "x").learner,
            "pseudo_label");
  try {
    annotator::provenance_from_json({{"generator", 7}}, "runs/r/snapshots/000040.safetensors: run");
    ADD_FAILURE() << "accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("000040.safetensors: run"));
    EXPECT_THAT(e.what(), HasSubstr("generator"));
  }
  EXPECT_THROW(annotator::provenance_from_json(nlohmann::json::array(), "x"), lagm::InputError);
}

}  // namespace

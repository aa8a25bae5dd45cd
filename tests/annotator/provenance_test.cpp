// A snapshot's provenance, read in one place: what phase I records (the transform, the labelled
// set) and what every learner records (the generator and its sampling); a malformed value is
// refused naming the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/error.h"

namespace {

using ::testing::HasSubstr;

lagm::annotator::Snapshot snapshot_with_run(const nlohmann::json& run) {
  lagm::annotator::Snapshot s;
  s.info.run = run;
  s.tensors.source = "runs/00000-gm/snapshots/000040.safetensors";
  return s;
}

TEST(Provenance, ReadsWhatPhaseOneRecords) {
  const auto p = lagm::annotator::read_provenance(
      snapshot_with_run({{"generator", "G.safetensors"},
                         {"truncation_psi", 0.5},
                         {"transform", {{"wide_crop", true}}},
                         {"training_set", {{"path", "labelled"}}}}));
  EXPECT_EQ(p.generator, "G.safetensors");
  EXPECT_EQ(p.sampling.truncation_psi, 0.5);
  ASSERT_TRUE(p.wide_crop.has_value());
  EXPECT_TRUE(*p.wide_crop);
  ASSERT_TRUE(p.training_set.has_value());
  EXPECT_THAT(p.training_set->describe(), HasSubstr("labelled"));
}

TEST(Provenance, APseudoLabellingRunRecordsNoTransformOrLabelledSet) {
  const auto p = lagm::annotator::read_provenance(
      snapshot_with_run({{"generator", "G.safetensors"}, {"method", "pseudo_label"}}));
  EXPECT_FALSE(p.wide_crop.has_value());
  EXPECT_FALSE(p.training_set.has_value());
  EXPECT_EQ(p.sampling.truncation_psi, lagm::models::SamplingOptions{}.truncation_psi);
}

TEST(Provenance, MalformedValuesAreRefusedNamingTheFile) {
  EXPECT_EQ(
      lagm::annotator::read_provenance(snapshot_with_run({{"method", "supervised"}})).generator,
      "");
  try {
    lagm::annotator::read_provenance(snapshot_with_run({{"generator", 7}}));
    ADD_FAILURE() << "accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("000040.safetensors: run"));
    EXPECT_THAT(e.what(), HasSubstr("generator"));
  }
}

}  // namespace

// Benchmark-mode selection: the checkpoint with the highest validation FG-mIoU, the first on ties,
// from either kind of run folder.
#include "lagm/eval/checkpoint_selection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lagm/core/error.h"
#include "test_support.h"

namespace lagm::eval {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(CheckpointSelection, AnnotatorRunTakesTheFirstMaximum) {
  const auto d = lagm::test::fresh_temp_dir("annot");
  fs::create_directories(d / "snapshots");
  std::ofstream m(d / "metrics-val.jsonl");
  const std::pair<int, double> rows[] = {{4000, 0.31}, {8000, 0.52}, {12000, 0.40}, {16000, 0.52}};
  for (const auto& [it, fg] : rows) {
    char name[32];
    std::snprintf(name, sizeof name, "snapshots/%06d.safetensors", it);
    std::ofstream(d / name) << "x";
    m << "{\"iteration\": " << it << ", \"results\": {\"mIoU\": 0.5, \"fg_mIoU\": " << fg
      << "}, \"snapshot\": \"" << name << "\"}\n";
  }
  m.close();
  const auto s = best_validation_checkpoint(d.string());
  EXPECT_EQ(s.step, 8000);
  EXPECT_DOUBLE_EQ(s.val_fg_miou, 0.52);
  EXPECT_EQ(fs::path(s.path).filename(), "008000.safetensors");
}

TEST(CheckpointSelection, SegmenterFolderMapsEpochsToCheckpoints) {
  const auto d = lagm::test::fresh_temp_dir("seg");
  std::ofstream m(d / "metrics-val.jsonl");
  for (int e = 0; e < 3; ++e) {
    char name[40];
    std::snprintf(name, sizeof name, "segmenter-%03d.safetensors", e);
    std::ofstream(d / name) << "x";
    m << "{\"epoch\": " << e << ", \"mIoU\": 0.1, \"fg_mIoU\": " << (e == 1 ? 0.7 : 0.2)
      << ", \"pACC\": 0.9}\n";
  }
  m.close();
  const auto s = best_validation_checkpoint(d.string());
  EXPECT_EQ(s.step, 1);
  EXPECT_EQ(fs::path(s.path).filename(), "segmenter-001.safetensors");
  fs::remove(d / "segmenter-001.safetensors");
  try {
    best_validation_checkpoint(d.string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("segmenter-001.safetensors: the best validation checkpoint is missing"));
  }
}

TEST(CheckpointSelection, NoValidationRecordIsAnInputError) {
  const auto d = lagm::test::fresh_temp_dir("none");
  try {
    best_validation_checkpoint(d.string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("metrics-val.jsonl: no validation metrics"));
  }
}

}  // namespace
}  // namespace lagm::eval

// The run folder every trainer keeps its files through: numbered folders, one writer, config.json,
// and the resume rule (records after the last saved state are forgotten).
#include "lagm/train/run_folder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "test_support.h"

namespace {

using lagm::train::RunFolder;
using ::testing::HasSubstr;

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(RunFolder, NumbersNewRunsAndHoldsItsFolderAgainstASecondWriter) {
  const auto parent = lagm::test::fresh_temp_dir("run_folder").string();
  const auto first = RunFolder::create_numbered(parent, "gm");
  const auto second = RunFolder::create_numbered(parent, "gm");
  EXPECT_THAT(first.path(), ::testing::EndsWith("00000-gm"));
  EXPECT_THAT(second.path(), ::testing::EndsWith("00001-gm"));
  try {
    const RunFolder again(first.path());
    FAIL() << "two writers hold one run folder";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(first.path()));
  }
}

TEST(RunFolder, WritesAndReadsItsConfigAndNamesTheFileWhenItIsBad) {
  const auto dir = (lagm::test::fresh_temp_dir("run_folder_config") / "run").string();
  const RunFolder folder(dir);
  EXPECT_FALSE(folder.has_config());
  try {
    folder.read_config();
    FAIL() << "a folder without config.json read as a run";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir));
  }
  folder.write_config({{"total_iters", 7}, {"lr", 0.5}});
  EXPECT_EQ(folder.read_config().at("total_iters").get<int>(), 7);
  lagm::core::write_file_atomic(folder.file("config.json"), "{not json");
  try {
    folder.read_config();
    FAIL() << "broken config.json accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(folder.file("config.json")));
  }
}

TEST(RunFolder, ForgetsTheRecordsAfterTheLastSavedStateInEveryFileNamed) {
  const auto dir = (lagm::test::fresh_temp_dir("run_folder_records") / "run").string();
  const RunFolder folder(dir);
  for (double kimg : {0.5, 1.0, 1.5, 2.0}) {
    folder.record("stats.jsonl", {{"kimg", kimg}});
    folder.record("metrics-val.jsonl", {{"kimg", kimg}, {"mIoU", kimg / 10}});
  }
  folder.record("other.jsonl", {{"kimg", 2.0}});
  folder.forget_records_after("kimg", 1.0, {"stats.jsonl", "metrics-val.jsonl", "absent.jsonl"});
  EXPECT_EQ(lines_of(folder.file("stats.jsonl")),
            (std::vector<std::string>{R"({"kimg":0.5})", R"({"kimg":1.0})"}));
  EXPECT_EQ(lines_of(folder.file("metrics-val.jsonl")).size(), 2u);
  EXPECT_EQ(lines_of(folder.file("other.jsonl")).size(), 1u);  // not named: kept
  folder.log("a line");
  folder.log("another");
  EXPECT_EQ(lines_of(folder.file("log.txt")), (std::vector<std::string>{"a line", "another"}));
  EXPECT_THAT(folder.file_in("grids", "x.png"), HasSubstr("/grids/x.png"));
}

}  // namespace

// lagm demo --quick with the shipped generator: every arm, the report files, resume.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "test_support.h"

namespace {

using ::testing::HasSubstr;
using lagm::test::run_command;

TEST(DemoCli, QuickRunWritesResultsForEveryArmAndResumes) {
  const auto dir = lagm::test::fresh_temp_dir("demo_quick").string() + "/run";
  const std::string cmd = std::string(LAGM_BINARY) + " demo --quick --out " + dir + " --generator " +
                          std::string(LAGM_SOURCE_DIR) + "/models/faces64.safetensors";
  auto [code, out] = run_command(cmd);
  ASSERT_EQ(code, 0) << out;
  const auto j = nlohmann::json::parse(lagm::core::read_file(dir + "/results.json"));
  EXPECT_EQ(j.at("labels").get<int>(), 10);
  EXPECT_EQ(j.at("labelled_style").get<std::string>(), "photo");
  EXPECT_GT(j.at("seconds").get<double>(), 0.0);
  for (const char* arm : {"gradient_matching", "few_label", "pseudo_label", "oracle"}) {
    const auto& m = j.at("methods").at(arm);
    const double miou = m.at("mIoU").get<double>();
    EXPECT_GT(miou, 0.0) << arm;
    EXPECT_LE(miou, 1.0) << arm;
    EXPECT_EQ(m.at("per_class").size(), 8u) << arm;
    EXPECT_GT(m.at("pACC").get<double>(), 0.5) << arm;  // at least background and skin are found
  }
  // The oracle (300 labelled photos) must beat labelling everything as background (mIoU ~0.08).
  EXPECT_GT(j.at("methods").at("oracle").at("mIoU").get<double>(), 0.15);
  for (const char* f : {"report.html", "report.md", "predictions.png", "annotator_labels.png"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  EXPECT_THAT(lagm::core::read_file(dir + "/report.md"), HasSubstr("| gradient matching (ours) |"));

  // A second invocation finds every stage done and reproduces the results.
  std::tie(code, out) = run_command(cmd);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("[oracle] already done"));
  const auto again = nlohmann::json::parse(lagm::core::read_file(dir + "/results.json"));
  EXPECT_EQ(again.at("methods"), j.at("methods"));

  std::tie(code, out) = run_command(std::string(LAGM_BINARY) + " demo --labelled-style sketch --out " + dir);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("unknown style"));
}

}  // namespace

// Runs every case of tests/golden/reference whose kind this build implements, one test per case,
// with the tolerances of the case's own case.json.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "golden_case.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/runtime.h"

namespace {

std::vector<std::string> supported_cases() {
  std::vector<std::string> out;
  const std::filesystem::path root(LAGM_GOLDEN_DIR);
  if (!std::filesystem::is_directory(root)) return out;
  for (const auto& e : std::filesystem::directory_iterator(root)) {
    const auto json_path = e.path() / "case.json";
    if (!std::filesystem::exists(json_path)) continue;
    auto config = nlohmann::json::parse(lagm::core::read_file(json_path.string()), nullptr, false);
    if (!config.is_discarded() && lagm::golden::is_supported_kind(config.value("kind", "")))
      out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// Outside the anonymous namespace: gtest derives the test classes from it.
class GoldenCase : public ::testing::TestWithParam<std::string> {};

TEST(GoldenSuite, GoldenFolderExistsAndHasCases) {
  ASSERT_TRUE(std::filesystem::is_directory(LAGM_GOLDEN_DIR))
      << "expected the golden cases in " << LAGM_GOLDEN_DIR;
  EXPECT_FALSE(supported_cases().empty());
}

TEST_P(GoldenCase, MatchesReference) {
  lagm::core::configure_runtime(0);
  const auto dir = (std::filesystem::path(LAGM_GOLDEN_DIR) / GetParam()).string();
  const auto report = lagm::golden::run_golden_case(dir);
  ASSERT_TRUE(report.error.empty()) << dir << ": " << report.error;
  ASSERT_FALSE(report.comparisons.empty());
  for (const auto& c : report.comparisons)
    EXPECT_TRUE(c.pass) << c.name << ": max_abs " << c.max_abs << " max_rel " << c.max_rel
                        << " tol " << c.tolerance;
}

INSTANTIATE_TEST_SUITE_P(Shared, GoldenCase, ::testing::ValuesIn(supported_cases()),
                         [](const auto& info) { return info.param; });

TEST(GoldenCheckTool, ExitsZeroOnPassAndNonZeroOnUnsupportedOrMissing) {
  const std::string tool = LAGM_GOLDEN_CHECK;
  const auto miou = std::string(LAGM_GOLDEN_DIR) + "/miou_c6";
  EXPECT_EQ(std::system((tool + " " + miou + " > /dev/null").c_str()), 0);
  EXPECT_NE(std::system((tool + " /nonexistent/case > /dev/null").c_str()), 0);
}

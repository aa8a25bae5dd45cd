// train-annotator --low-memory: a run in low-memory mode records it in its config.json (so that a
// resume keeps it), and the option is refused by name where it does not apply.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fixtures.h"
#include "lagm/core/atomic_file.h"
#include "test_support.h"

using lagm::test::count_lines;
using lagm::test::run_command;
using ::testing::HasSubstr;

TEST(LowMemoryCli, RunRecordsTheModeAndMamlRefusesIt) {
  const auto dir = lagm::test::fresh_temp_dir("low_memory_cli").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 2, 3);
  std::ofstream(dir + "/run.json")
      << lagm::test::small_annotator_run_json(dir, nlohmann::json::object()).dump();
  const std::string base = std::string(LAGM_BINARY) + " train-annotator --threads 1 --runs " + dir +
                           "/runs --low-memory --config ";
  auto [code, out] = run_command(base + dir + "/run.json");
  ASSERT_EQ(code, 0) << out;
  int runs = 0;
  for (const auto& run : std::filesystem::directory_iterator(dir + "/runs")) {
    const auto config =
        nlohmann::json::parse(lagm::core::read_file((run.path() / "config.json").string()));
    EXPECT_EQ(config.at("low_memory"), true);
    ++runs;
  }
  EXPECT_EQ(runs, 1);
  std::ofstream(dir + "/maml.json")
      << lagm::test::small_annotator_run_json(dir, {{"learner", "maml"}}).dump();
  std::tie(code, out) = run_command(base + dir + "/maml.json");
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("--low-memory"));
  EXPECT_EQ(count_lines(out), 1) << out;
}

// The lagm executable: help, exit codes and one-line errors (STYLE §6).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"

using ::testing::HasSubstr;
using lagm::test::run_command;

namespace {
const std::string kLagm = LAGM_BINARY;

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}
}  // namespace

TEST(Cli, HelpForEveryCommandExitsZero) {
  for (const char* cmd : {"", "info"}) {
    const auto [code, out] = run_command(kLagm + " " + cmd + " --help");
    EXPECT_EQ(code, 0) << cmd;
    EXPECT_THAT(out, HasSubstr("Usage")) << cmd;
  }
}

TEST(Cli, UnknownOptionExitsTwo) {
  const auto [code, out] = run_command(kLagm + " info --bogus x");
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("--bogus"));
}

TEST(Cli, MissingFileExitsTwoWithOneLineNamingIt) {
  const auto [code, out] = run_command(kLagm + " info /no/such/file.safetensors");
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("/no/such/file.safetensors"));
  EXPECT_EQ(count_lines(out), 1) << out;
}

TEST(Cli, MalformedCheckpointExitsTwoWithOneLine) {
  const auto dir = lagm::test::fresh_temp_dir("cli");
  const auto path = (dir / "bad.safetensors").string();
  std::ofstream(path) << "garbage-garbage-garbage";
  const auto [code, out] = run_command(kLagm + " info " + path);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr(path + ": header length"));
  EXPECT_EQ(count_lines(out), 1) << out;
}

TEST(Cli, InfoPrintsTensorTable) {
  const auto [code, out] = run_command(kLagm + " info " + std::string(LAGM_GOLDEN_DIR) + "/sg2_skip_r32/weights.safetensors");
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("G.synthesis.b4.const"));
  EXPECT_THAT(out, HasSubstr("[32, 4, 4]"));
  EXPECT_THAT(out, HasSubstr("75 tensors"));
}

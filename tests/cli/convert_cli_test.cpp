// lagm convert and lagm info on a StyleGAN pickle, a pickle given straight to --generator, and
// broken or hostile pickles refused with exit 2 and one line naming the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "lagm/core/atomic_file.h"
#include "test_support.h"

using lagm::test::count_lines;
using lagm::test::run_command;
using ::testing::HasSubstr;

namespace {

const std::string kConvertLagm = LAGM_BINARY;

/// The golden StyleGAN2 weights as a stylegan2-ada-pytorch-style pickle in `dir`.
std::string golden_network_pickle(const std::string& dir) {
  const std::string golden = std::string(LAGM_GOLDEN_DIR) + "/sg2_skip_r32";
  const auto config = nlohmann::json::parse(lagm::core::read_file(golden + "/case.json"));
  std::ofstream(dir + "/kwargs.json") << config["generator"].dump();
  const auto [code, out] =
      run_command("/usr/bin/python3 " + std::string(LAGM_SOURCE_DIR) +
                  "/tools/python/make_persistent_pickle.py " + golden + "/weights.safetensors G. " +
                  dir + "/kwargs.json " + dir + "/net.pkl");
  EXPECT_EQ(code, 0) << out;
  return dir + "/net.pkl";
}

}  // namespace

TEST(ConvertCli, APickleConvertsAndEveryCommandTakesItAsItIs) {
  const auto d = lagm::test::fresh_temp_dir("convert").string();
  const auto pkl = golden_network_pickle(d);
  const auto [code, out] =
      run_command(kConvertLagm + " convert " + pkl + " --out " + d + "/G.safetensors --psi 0.5");
  ASSERT_EQ(code, 0) << out;
  const auto [info_code, info] = run_command(kConvertLagm + " info " + pkl);
  EXPECT_EQ(info_code, 0) << info;
  EXPECT_THAT(info, HasSubstr("G_ema: Generator object, 75 tensors"));
  EXPECT_THAT(info, HasSubstr("generator (stylegan2)"));
  const auto [meta_code, meta] = run_command(kConvertLagm + " info " + d + "/G.safetensors");
  EXPECT_THAT(meta, HasSubstr("\"truncation_psi\":0.5"));
  // The same grid from the pickle and from its conversion.
  for (const std::string& source : {pkl, d + "/G.safetensors"}) {
    const auto [c, o] = run_command(kConvertLagm + " generate --generator " + source +
                                    " --seeds 0-3 --psi 0.5 --threads 1 --out " + source + ".png");
    ASSERT_EQ(c, 0) << o;
  }
  EXPECT_EQ(lagm::core::read_file(pkl + ".png"), lagm::core::read_file(d + "/G.safetensors.png"));
}

TEST(ConvertCli, BrokenAndHostilePicklesExitTwoWithOneLine) {
  const auto d = lagm::test::fresh_temp_dir("badpkl").string();
  ASSERT_EQ(lagm::test::run_python_file("checkpoint_reference",
                                        {"evil-pickle", d + "/evil.pkl", d + "/pwned"}),
            0);
  const auto good = lagm::core::read_file(golden_network_pickle(d));
  lagm::core::write_file_atomic(d + "/cut.pkl", good.substr(0, good.size() / 2));
  const std::pair<std::string, std::string> cases[] = {
      {"convert " + d + "/evil.pkl --out " + d + "/G.safetensors", d + "/evil.pkl: refuses global"},
      {"convert " + d + "/cut.pkl --out " + d + "/G.safetensors", d + "/cut.pkl: truncated pickle"},
      {"generate --generator " + d + "/evil.pkl --seeds 0", d + "/evil.pkl: refuses global"},
      {"info " + d + "/cut.pkl", d + "/cut.pkl: truncated pickle"},
      {"convert " + d + "/net.pkl --out " + d + "/net.pkl", "--out"},
      {"convert " + d + "/net.pkl --out " + d + "/G.safetensors --cutoff 1.5", "--cutoff"},
  };
  for (const auto& [args, message] : cases) {
    const auto [code, out] = run_command(kConvertLagm + " " + args);
    EXPECT_EQ(code, 2) << args << "\n" << out;
    EXPECT_THAT(out, HasSubstr(message)) << args;
    EXPECT_EQ(count_lines(out), 1) << out;
  }
  EXPECT_FALSE(std::ifstream(d + "/pwned").good());
  EXPECT_FALSE(std::ifstream(d + "/G.safetensors").good());
}

// tools/convert_stylegan2.py end to end: a pickle in stylegan2-ada-pytorch's persistent format
// (written by a stand-in, no NVIDIA code) converts to a checkpoint that reproduces the golden
// images.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "lagm/core/atomic_file.h"
#include "lagm/core/safetensors.h"
#include "lagm/models/feature_generator.h"
#include "test_support.h"

using ::testing::HasSubstr;

namespace {
const std::string kTools = std::string(LAGM_SOURCE_DIR) + "/tools";
const std::string kSg2Case = std::string(LAGM_GOLDEN_DIR) + "/sg2_skip_r32";
}  // namespace

TEST(ConvertStyleGAN2, PersistentPickleConvertsAndReproducesGolden) {
  const auto dir = lagm::test::fresh_temp_dir("conv").string();
  const auto config = nlohmann::json::parse(lagm::core::read_file(kSg2Case + "/case.json"));
  std::ofstream(dir + "/kwargs.json") << config["generator"].dump();
  auto [code1, out1] = lagm::test::run_command(
      "/usr/bin/python3 " + kTools + "/python/make_persistent_pickle.py " + kSg2Case +
      "/weights.safetensors G. " + dir + "/kwargs.json " + dir + "/net.pkl");
  ASSERT_EQ(code1, 0) << out1;
  auto [code2, out2] =
      lagm::test::run_command("/usr/bin/python3 " + kTools + "/convert_stylegan2.py " + dir +
                              "/net.pkl " + dir + "/G.safetensors --psi 0.7 --cutoff none");
  ASSERT_EQ(code2, 0) << out2;

  auto g = lagm::models::load_feature_generator(dir + "/G.safetensors", torch::kCPU);
  EXPECT_EQ(g->sampling().truncation_psi, 0.7);
  EXPECT_FALSE(g->sampling().truncation_cutoff.has_value());
  g->sampling().noise_mode = lagm::models::NoiseMode::kConst;
  const auto io = lagm::core::read_safetensors(kSg2Case + "/io.safetensors").tensors;
  auto img = g->generate(io.at("in.z")).img;
  const auto& expected = io.at("out.img");
  EXPECT_LT((img - expected).abs().max().item<float>(),
            1e-4 * (1 + expected.abs().max().item<float>()));
}

TEST(ConvertStyleGAN2, PlainStateDictWithKwargsConverts) {
  const auto dir = lagm::test::fresh_temp_dir("plain").string();
  const auto config = nlohmann::json::parse(lagm::core::read_file(kSg2Case + "/case.json"));
  std::ofstream(dir + "/kwargs.json") << config["generator"].dump();
  ASSERT_EQ(lagm::test::run_python_file("checkpoint_reference",
                                        {"golden-state-dict", kSg2Case, dir + "/sd.pt"}),
            0);
  auto [code, out] =
      lagm::test::run_command("/usr/bin/python3 " + kTools + "/convert_stylegan2.py " + dir +
                              "/sd.pt " + dir + "/G.safetensors --kwargs " + dir + "/kwargs.json");
  ASSERT_EQ(code, 0) << out;
  auto g = lagm::models::load_feature_generator(dir + "/G.safetensors", torch::kCPU);
  EXPECT_EQ(g->feature_shapes().size(), 4u);
}

TEST(ConvertStyleGAN2, RefusesPicklesThatReferToOtherGlobals) {
  const auto dir = lagm::test::fresh_temp_dir("evil").string();
  ASSERT_EQ(lagm::test::run_python_file("checkpoint_reference",
                                        {"evil-pickle", dir + "/evil.pkl", dir + "/pwned"}),
            0);
  auto [code, out] =
      lagm::test::run_command("/usr/bin/python3 " + kTools + "/convert_stylegan2.py " + dir +
                              "/evil.pkl " + dir + "/G.safetensors");
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("refused global"));
  EXPECT_FALSE(std::ifstream(dir + "/pwned").good());
}

// A TF StyleGAN2 pickle ((G, D, Gs) of dnnlib.tflib.network.Network states, TF layouts; built by
// tools/python/make_tf_pickle.py from the golden weights with the inverse of the
// converter's name table)
// converts back to the same PyTorch tensors. resample_filter is not stored by TF: it becomes F4
// (the golden case randomised it on purpose, so it is compared to F4 instead).
TEST(ConvertStyleGAN2, TensorFlowPickleMapsBackToThePyTorchNames) {
  const auto dir = lagm::test::fresh_temp_dir("tf").string();
  const auto config = nlohmann::json::parse(lagm::core::read_file(kSg2Case + "/case.json"));
  std::ofstream(dir + "/kwargs.json") << config["generator"].dump();
  auto [c1, o1] = lagm::test::run_command(
      "/usr/bin/python3 " + kTools + "/python/make_tf_pickle.py " + kSg2Case +
      "/weights.safetensors G. " + dir + "/kwargs.json " + dir + "/tf.pkl");
  ASSERT_EQ(c1, 0) << o1;
  auto [c2, o2] = lagm::test::run_command("/usr/bin/python3 " + kTools + "/convert_stylegan2.py " +
                                          dir + "/tf.pkl " + dir + "/G.safetensors --cutoff none");
  ASSERT_EQ(c2, 0) << o2;
  const auto got = lagm::core::read_safetensors(dir + "/G.safetensors").tensors;
  const auto want = lagm::core::read_safetensors(kSg2Case + "/weights.safetensors")
                        .tensors.with_prefix_stripped("G.");
  ASSERT_EQ(got.size(), want.size());
  auto f4 = torch::tensor({1.0f, 3.0f, 3.0f, 1.0f});
  f4 = torch::outer(f4, f4) / 64;
  for (const auto& [name, t] : want.items()) {
    ASSERT_TRUE(got.contains(name)) << name;
    if (name.find("resample_filter") != std::string::npos) {
      EXPECT_TRUE(torch::allclose(got.at(name), f4)) << name;
    } else {
      EXPECT_LT((got.at(name) - t).abs().max().item<float>(), 1e-6) << name;
    }
  }
  // and the converted generator loads and runs
  auto g = lagm::models::load_feature_generator(dir + "/G.safetensors", torch::kCPU);
  EXPECT_EQ(g->generate(torch::randn({1, 32})).img.sizes(), torch::IntArrayRef({1, 3, 32, 32}));
}

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/state_dict.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/stylegan2/generator.h"
#include "test_support.h"

namespace sg2 = lagm::models::stylegan2;
using ::testing::HasSubstr;

namespace {

// ordered_json: the manifest's key order is the reference state-dict order.
nlohmann::ordered_json read_manifest(const std::string& name) {
  return nlohmann::ordered_json::parse(
      lagm::core::read_file(std::string(LAGM_GOLDEN_DIR) + "/manifests/" + name));
}

sg2::GeneratorOptions small_options(const std::string& arch) {
  return sg2::generator_options_from_json(
      {{"z_dim", 16},
       {"w_dim", 16},
       {"img_resolution", 32},
       {"img_channels", 3},
       {"mapping_kwargs", {{"num_layers", 2}}},
       {"synthesis_kwargs", {{"channel_base", 256}, {"channel_max", 16}, {"architecture", arch}}}},
      "test");
}

}  // namespace

// A model built from each real config has exactly the reference state-dict names, order and shapes,
// so real checkpoints load by name.
TEST(StyleGAN2, StateDictMatchesReferenceManifests) {
  for (const char* name : {"stylegan2_ada_paper256_G.json", "stylegan2_ada_paper512_G.json",
                           "stylegan2_configf_512_G.json", "stylegan2_configf_1024_G.json"}) {
    const auto manifest = read_manifest(name);
    sg2::Generator g(
        sg2::generator_options_from_json(nlohmann::json::parse(manifest["config"].dump()), name));
    const auto sd = lagm::core::state_dict(*g);
    std::vector<std::string> got, expected;
    for (const auto& [n, t] : sd.items()) got.push_back(n);
    for (auto it = manifest["tensors"].begin(); it != manifest["tensors"].end(); ++it)
      expected.push_back(it.key());
    ASSERT_EQ(got, expected) << name;
    for (const auto& [n, t] : sd.items())
      EXPECT_EQ(t.sizes().vec(), manifest["tensors"][n]["shape"].get<std::vector<int64_t>>())
          << name << " " << n;
  }
}

TEST(StyleGAN2, ParameterCountsMatchSpec) {
  const auto manifest = read_manifest("stylegan2_ada_paper256_G.json");
  sg2::Generator g(sg2::generator_options_from_json(
      nlohmann::json::parse(manifest["config"].dump()), "paper256"));
  int64_t n = 0;
  for (const auto& p : g->parameters()) n += p.numel();
  EXPECT_EQ(n, 24767458);
  EXPECT_EQ(lagm::core::state_dict(*g).size(), 144u);
  EXPECT_TRUE(g->options.block_uses_fp16(32));
  EXPECT_FALSE(g->options.block_uses_fp16(16));
}

// Training mode takes the non-fused path; it must compute the same images
// (within 5e-7 relative).
TEST(StyleGAN2, FusedAndNonFusedSynthesisAgree) {
  torch::manual_seed(0);
  for (const char* arch : {"skip", "orig", "resnet"}) {
    sg2::Generator g(small_options(arch));
    torch::NoGradGuard no_grad;
    auto ws = g->mapping->forward(torch::randn({3, 16}));
    g->eval();
    auto a = g->synthesis->forward(ws, lagm::models::NoiseMode::kConst);
    g->train();
    auto b = g->synthesis->forward(ws, lagm::models::NoiseMode::kConst);
    EXPECT_LT((a.img - b.img).abs().max().item<float>() / b.img.abs().max().item<float>(), 1e-5)
        << arch;
    for (size_t i = 0; i < a.features.size(); ++i)
      EXPECT_LT((a.features[i] - b.features[i]).abs().max().item<float>() /
                    b.features[i].abs().max().item<float>(),
                1e-5)
          << arch << i;
  }
}

TEST(StyleGAN2, EveryArchitectureReturnsOneFeatureMapPerBlock) {
  for (const char* arch : {"skip", "orig", "resnet"}) {
    sg2::Generator g(small_options(arch));
    g->eval();
    torch::NoGradGuard no_grad;
    auto out = g->forward(torch::randn({2, 16}));
    ASSERT_EQ(out.synthesis.features.size(), 4u) << arch;
    EXPECT_EQ(out.synthesis.features[3].sizes(), torch::IntArrayRef({2, 8, 32, 32})) << arch;
    EXPECT_EQ(out.synthesis.img.sizes(), torch::IntArrayRef({2, 3, 32, 32})) << arch;
    const bool skip = std::string(arch) == "skip";
    EXPECT_EQ(out.synthesis.block_images[0].defined(), skip) << arch;
  }
}

TEST(StyleGAN2, TruncationCutoffOnlyTouchesFirstWs) {
  sg2::Generator g(small_options("skip"));
  torch::NoGradGuard no_grad;
  g->mapping->w_avg.normal_();
  auto z = torch::randn({2, 16});
  auto full = g->mapping->forward(z);
  auto cut = g->mapping->forward(z, {0.5, 3});
  EXPECT_TRUE(
      torch::equal(cut.narrow(1, 3, full.size(1) - 3), full.narrow(1, 3, full.size(1) - 3)));
  auto expect = g->mapping->w_avg + 0.5 * (full.narrow(1, 0, 3) - g->mapping->w_avg);
  EXPECT_LT((cut.narrow(1, 0, 3) - expect).abs().max().item<float>(), 1e-6);
}

TEST(StyleGAN2, NoiseModesBehave) {
  sg2::Generator g(small_options("skip"));
  g->eval();
  torch::NoGradGuard no_grad;
  for (auto& b : g->synthesis->blocks) b->conv1->noise_strength.fill_(0.5);
  auto z = torch::randn({1, 16});
  sg2::GenerateOptions o;
  o.noise_mode = lagm::models::NoiseMode::kConst;
  auto c1 = g->forward(z, o).synthesis.img, c2 = g->forward(z, o).synthesis.img;
  EXPECT_TRUE(torch::equal(c1, c2));
  o.noise_mode = lagm::models::NoiseMode::kRandom;
  EXPECT_FALSE(torch::equal(g->forward(z, o).synthesis.img, g->forward(z, o).synthesis.img));
  o.noise_mode = lagm::models::NoiseMode::kNone;
  EXPECT_FALSE(torch::equal(g->forward(z, o).synthesis.img, c1));
}

TEST(StyleGAN2, ConfigRejectsUnknownKeysAndBadValues) {
  EXPECT_THROW(sg2::generator_options_from_json({{"z_dim", 8}, {"bogus", 1}}, "x"),
               lagm::InputError);
  try {
    sg2::generator_options_from_json({{"img_resolution", 48}}, "g.json");
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("g.json.img_resolution must be a power of two"));
  }
  EXPECT_THROW(sg2::generator_options_from_json({{"c_dim", 10}}, "x"), lagm::InputError);
}

TEST(StyleGAN2, CheckpointRoundTripIsSelfDescribing) {
  const auto dir = lagm::test::fresh_temp_dir("ckpt");
  const auto path = (dir / "g.safetensors").string();
  auto options = small_options("skip");
  sg2::Generator g(options);
  lagm::models::write_model_checkpoint(path, "stylegan2", sg2::to_json(options), *g,
                                       {{"truncation_psi", 0.5}, {"truncation_cutoff", nullptr}});
  auto loaded = lagm::models::load_feature_generator(path, torch::kCPU);
  EXPECT_EQ(loaded->kind(), "stylegan2");
  EXPECT_EQ(loaded->sampling().truncation_psi, 0.5);
  EXPECT_FALSE(loaded->sampling().truncation_cutoff.has_value());
  loaded->sampling().noise_mode = lagm::models::NoiseMode::kConst;
  auto z = torch::randn({2, 16});
  sg2::GenerateOptions o;
  o.truncation.psi = 0.5;
  o.noise_mode = lagm::models::NoiseMode::kConst;
  g->eval();
  torch::NoGradGuard no_grad;
  auto expected = g->forward(z, o).synthesis.img;
  EXPECT_TRUE(torch::equal(loaded->generate(z).img, expected));
  EXPECT_EQ(loaded->feature_shapes().back(), (std::vector<int64_t>{8, 32, 32}));
}

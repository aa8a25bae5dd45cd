// StyleGAN1 (DatasetGAN's port): names, noise modes, and tools/convert_stylegan1.py from a legacy
// torch.save'd OrderedDict + .npy to a checkpoint that reproduces golden case sg1_r128.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/stylegan1/feature_generator.h"
#include "lagm/models/stylegan1/generator.h"
#include "test_support.h"

namespace sg1 = lagm::models::stylegan1;

namespace {
const std::string kSg1Case = std::string(LAGM_GOLDEN_DIR) + "/sg1_r128";
}

TEST(StyleGAN1, StateDictNamesMatchTheGoldenWeights) {
  sg1::StyleGAN1Options o;
  o.resolution = 128, o.fmap_base = 512, o.fmap_max = 16;
  sg1::StyleGAN1Generator g(o);
  const auto golden = lagm::core::read_safetensors(kSg1Case + "/weights.safetensors")
                          .tensors.with_prefix_stripped("G.");
  const auto own = lagm::core::state_dict(*g);
  EXPECT_EQ(own.size(), golden.size());
  for (const auto& [name, t] : own.items()) {
    ASSERT_TRUE(golden.contains(name)) << name;
    EXPECT_EQ(t.sizes(), golden.at(name).sizes()) << name;
  }
  EXPECT_EQ(own.items()[0].first, "g_mapping.dense0.weight");
}

TEST(StyleGAN1, NoiseModesAndFeatureCount) {
  sg1::StyleGAN1Options o;
  o.resolution = 32, o.fmap_base = 64, o.fmap_max = 8;
  sg1::StyleGAN1Generator g(o);
  g->eval();
  torch::NoGradGuard no_grad;
  for (auto& p : g->named_parameters())
    if (p.key().find("noise.weight") != std::string::npos) p.value().fill_(0.3);
  auto z = torch::randn({2, 512});
  auto c1 = g->forward(z, lagm::models::NoiseMode::kConst),
       c2 = g->forward(z, lagm::models::NoiseMode::kConst);
  EXPECT_TRUE(torch::equal(c1.img, c2.img));
  EXPECT_FALSE(torch::equal(g->forward(z).img, g->forward(z).img));  // random
  EXPECT_FALSE(torch::equal(g->forward(z, lagm::models::NoiseMode::kNone).img, c1.img));
  EXPECT_EQ(c1.features.size(), 8u);  // two per block, 4..32
  EXPECT_EQ(c1.features.back().sizes(), torch::IntArrayRef({2, 4, 32, 32}));  // nf(4) = 64 / 16
}

TEST(ConvertStyleGAN1, LegacyCheckpointAndNpyReproduceGolden) {
  const auto dir = lagm::test::fresh_temp_dir("sg1conv").string();
  const std::string tools = std::string(LAGM_SOURCE_DIR) + "/tools";
  ASSERT_EQ(lagm::test::run_python_file("checkpoint_reference", {"sg1-legacy", kSg1Case, dir}), 0);
  auto [code, out] = lagm::test::run_command(
      "/usr/bin/python3 " + tools + "/convert_stylegan1.py " + dir + "/g.for_g_all.pt " + dir +
      "/avg.npy " + dir +
      "/G.safetensors --resolution 128 --fmap-base 512 --fmap-max 16 --cutoff 8");
  ASSERT_EQ(code, 0) << out;
  const auto ckpt = lagm::models::read_model_checkpoint(dir + "/G.safetensors");
  auto g = sg1::load_stylegan1(ckpt);
  g->eval();
  const auto io = lagm::core::read_safetensors(kSg1Case + "/io.safetensors").tensors;
  sg1::NoiseInputs noise;
  for (const auto& name : g->noise_layer_names()) noise[name] = io.at("in.noise.G." + name);
  torch::NoGradGuard no_grad;
  auto r = g->forward(io.at("in.z"), lagm::models::NoiseMode::kNone, noise);
  const auto& expected = io.at("out.img");
  EXPECT_LT((r.img - expected).abs().max().item<float>(),
            1e-4 * (1 + expected.abs().max().item<float>()));
  // and it plugs into everything that takes a generator
  auto fg = lagm::models::load_feature_generator(dir + "/G.safetensors", torch::kCPU);
  EXPECT_EQ(fg->kind(), "stylegan1");
  EXPECT_EQ(fg->feature_shapes().size(), 12u);
  EXPECT_EQ(fg->generate(torch::randn({1, 512})).features.size(), 12u);
}

// LAGM's wrapper resizes the 1024 px face model's image and its two 1024 px feature maps to 512
// (bilinear, align_corners=False); the rest keep their sizes.
TEST(StyleGAN1, FaceModelOutputsAreResizedTo512) {
  sg1::StyleGAN1Options o;
  o.resolution = 1024, o.fmap_base = 2048, o.fmap_max = 2;
  sg1::StyleGAN1Generator g(o);
  torch::NoGradGuard no_grad;
  auto z = torch::randn({1, 512});
  const auto full = g->forward(z, lagm::models::NoiseMode::kConst);
  sg1::StyleGAN1FeatureGenerator fg(g);
  fg.sampling().noise_mode = lagm::models::NoiseMode::kConst;
  const auto shapes = fg.feature_shapes();
  ASSERT_EQ(shapes.size(), 18u);
  EXPECT_EQ(shapes[17], (std::vector<int64_t>{o.channels_at(1024), 512, 512}));
  EXPECT_EQ(shapes[15], (std::vector<int64_t>{o.channels_at(512), 512, 512}));
  const auto b = fg.generate(z);
  EXPECT_EQ(b.img.sizes(), torch::IntArrayRef({1, 3, 512, 512}));
  namespace F = torch::nn::functional;
  auto expected = F::interpolate(full.img, F::InterpolateFuncOptions()
                                               .size(std::vector<int64_t>{512, 512})
                                               .mode(torch::kBilinear)
                                               .align_corners(false));
  EXPECT_LT((b.img - expected).abs().max().item<float>(), 1e-6);
  EXPECT_TRUE(torch::equal(b.features[15], full.features[15]));  // the 512 px maps are untouched
}

// Generators read natively from the pickles people download, against the Python converters (the
// test oracles) and the golden cases: a stylegan2-ada-pytorch pickle and a TensorFlow StyleGAN2
// pickle (each written by a stand-in for NVIDIA's classes with their names and layouts), and
// DatasetGAN's legacy StyleGAN1 .pt with its average latent.
#include "lagm/models/pickled_generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/stylegan1/feature_generator.h"
#include "lagm/models/stylegan1/generator.h"
#include "test_support.h"

using ::testing::HasSubstr;

namespace {

const std::string kPickleTools = std::string(LAGM_SOURCE_DIR) + "/tools";
const std::string kPickleSg2Case = std::string(LAGM_GOLDEN_DIR) + "/sg2_skip_r32";
const std::string kPickleSg1Case = std::string(LAGM_GOLDEN_DIR) + "/sg1_r128";

/// The golden StyleGAN2 weights as a pickle of `maker` (make_persistent_pickle or make_tf_pickle)
/// and the Python converter's checkpoint of it; returns the pickle's path.
std::string sg2_pickle(const std::string& dir, const std::string& maker) {
  const auto config = nlohmann::json::parse(lagm::core::read_file(kPickleSg2Case + "/case.json"));
  std::ofstream(dir + "/kwargs.json") << config["generator"].dump();
  std::string pkl = dir + "/net.pkl";
  auto [c1, o1] = lagm::test::run_command("/usr/bin/python3 " + kPickleTools + "/python/" + maker +
                                          ".py " + kPickleSg2Case + "/weights.safetensors G. " +
                                          dir + "/kwargs.json " + pkl);
  EXPECT_EQ(c1, 0) << o1;
  auto [c2, o2] =
      lagm::test::run_command("/usr/bin/python3 " + kPickleTools + "/convert_stylegan2.py " + pkl +
                              " " + dir + "/python.safetensors");
  EXPECT_EQ(c2, 0) << o2;
  return pkl;
}

/// The native checkpoint holds the Python converter's names, in its order, values and config.
void expect_same_as_python(const lagm::models::ModelCheckpoint& native, const std::string& dir) {
  const auto python = lagm::models::read_model_checkpoint(dir + "/python.safetensors");
  EXPECT_EQ(native.kind, python.kind);
  EXPECT_EQ(native.config, python.config);
  EXPECT_EQ(native.extra, python.extra);
  ASSERT_EQ(native.tensors.size(), python.tensors.size());
  for (size_t i = 0; i < native.tensors.size(); ++i) {
    const auto& [name, t] = native.tensors.items()[i];
    EXPECT_EQ(name, python.tensors.items()[i].first);
    EXPECT_TRUE(torch::equal(t, python.tensors.items()[i].second)) << name;
  }
}

/// Both generators, const noise, the same latents: identical images and features.
void expect_same_images(const std::string& native_path, const std::string& python_path) {
  auto a = lagm::models::load_feature_generator(native_path, torch::kCPU);
  auto b = lagm::models::load_feature_generator(python_path, torch::kCPU);
  a->sampling().noise_mode = b->sampling().noise_mode = lagm::models::NoiseMode::kConst;
  torch::manual_seed(7);
  const auto z = torch::randn({3, a->z_dim()});
  const auto ra = a->generate(z), rb = b->generate(z);
  EXPECT_TRUE(torch::equal(ra.img, rb.img));
  ASSERT_EQ(ra.features.size(), rb.features.size());
  for (size_t i = 0; i < ra.features.size(); ++i)
    EXPECT_TRUE(torch::equal(ra.features[i], rb.features[i])) << "feature " << i;
}

}  // namespace

TEST(PickledGenerator, AdaPickleReadsAsThePythonConverterReadsItAndReproducesGolden) {
  const auto dir = lagm::test::fresh_temp_dir("ada").string();
  const auto pkl = sg2_pickle(dir, "make_persistent_pickle");
  expect_same_as_python(lagm::models::read_pickled_generator(pkl), dir);
  expect_same_images(pkl, dir + "/python.safetensors");
  auto g = lagm::models::load_feature_generator(pkl, torch::kCPU);
  g->sampling().truncation_psi = 0.7;
  g->sampling().truncation_cutoff = c10::nullopt;
  g->sampling().noise_mode = lagm::models::NoiseMode::kConst;
  const auto io = lagm::core::read_safetensors(kPickleSg2Case + "/io.safetensors").tensors;
  const auto img = g->generate(io.at("in.z")).img;
  const auto& expected = io.at("out.img");
  EXPECT_LT((img - expected).abs().max().item<float>(),
            1e-4 * (1 + expected.abs().max().item<float>()));
}

TEST(PickledGenerator, TensorFlowPickleReadsAsThePythonConverterReadsIt) {
  const auto dir = lagm::test::fresh_temp_dir("tf").string();
  const auto pkl = sg2_pickle(dir, "make_tf_pickle");
  expect_same_as_python(lagm::models::read_pickled_generator(pkl), dir);
  expect_same_images(pkl, dir + "/python.safetensors");
}

TEST(PickledGenerator, NetworkGIsReadOnRequestAndOtherContentsAreRefused) {
  const auto dir = lagm::test::fresh_temp_dir("netg").string();
  const auto pkl = sg2_pickle(dir, "make_persistent_pickle");
  EXPECT_EQ(lagm::models::read_pickled_generator(pkl, "G").tensors.size(), 75u);
  EXPECT_THROW(lagm::models::read_pickled_generator(pkl, "D"), lagm::UsageError);
  ASSERT_EQ(lagm::test::run_python_file("checkpoint_reference",
                                        {"golden-state-dict", kPickleSg2Case, dir + "/sd.pt"}),
            0);
  try {
    lagm::models::read_pickled_generator(dir + "/sd.pt");
    ADD_FAILURE() << "a zip-format state dict was read as a generator";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir + "/sd.pt: a zip-format torch file"));
  }
}

// One module shared by both children of each of 40 levels: 2^40 paths in a pickle of a few kB.
TEST(PickledGenerator, AModuleSharedOverAndOverIsRefusedNotWalked) {
  const auto dir = lagm::test::fresh_temp_dir("bomb").string();
  ASSERT_EQ(lagm::test::run_python_file("pickle_cases", {"module-bomb", dir + "/bomb.pkl"}), 0);
  try {
    lagm::models::read_pickled_generator(dir + "/bomb.pkl");
    ADD_FAILURE() << "a module bomb was walked";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("bomb.pkl: more than 100000 modules"));
  }
}

TEST(PickledGenerator, DatasetGanStyleGan1CheckpointReproducesGolden) {
  const auto dir = lagm::test::fresh_temp_dir("sg1pt").string();
  ASSERT_EQ(
      lagm::test::run_python_file("checkpoint_reference", {"sg1-legacy", kPickleSg1Case, dir}), 0);
  const auto pt = dir + "/g.for_g_all.pt";
  try {
    lagm::models::read_pickled_generator(pt);
    ADD_FAILURE() << "read without its average latent";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("avg_latent_stylegan1.npy"));
  }
  std::filesystem::rename(dir + "/avg.npy", dir + "/avg_latent_stylegan1.npy");
  const auto ckpt = lagm::models::read_pickled_generator(pt);
  const auto golden = nlohmann::json::parse(lagm::core::read_file(kPickleSg1Case + "/case.json"));
  for (const char* key : {"resolution", "fmap_base", "fmap_max"})
    EXPECT_EQ(ckpt.config[key], golden["generator"][key]) << key;
  auto g = lagm::models::stylegan1::load_stylegan1(ckpt);
  g->eval();
  const auto io = lagm::core::read_safetensors(kPickleSg1Case + "/io.safetensors").tensors;
  lagm::models::stylegan1::NoiseInputs noise;
  for (const auto& name : g->noise_layer_names()) noise[name] = io.at("in.noise.G." + name);
  torch::NoGradGuard no_grad;
  const auto r = g->forward(io.at("in.z"), lagm::models::NoiseMode::kNone, noise);
  const auto& expected = io.at("out.img");
  EXPECT_LT((r.img - expected).abs().max().item<float>(),
            1e-4 * (1 + expected.abs().max().item<float>()));
  EXPECT_EQ(lagm::models::load_feature_generator(pt, torch::kCPU)->kind(), "stylegan1");
}

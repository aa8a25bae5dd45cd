#include "lagm/matching/reference_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lagm/core/error.h"
#include "test_support.h"

using ::testing::HasSubstr;

// A config in the reference's format maps onto the project's struct, with its defaults.
TEST(ReferenceConfig, MapsClassNamesAndDefaults) {
  const auto dir = lagm::test::fresh_temp_dir("ref").string();
  std::ofstream(dir + "/horse.safetensors") << "x";  // the converted generator beside the .pkl
  const nlohmann::json j = {
      {"training_set_kwargs",
       {{"class_name", "training.dataset.FolderDataset"},
        {"path", "data/train"},
        {"img_size", {256, 256}}}},
      {"validation_set_kwargs",
       {{"class_name", "downstream_seg.ImageLabelDataset"}, {"rootdir", "data/val"}}},
      {"G_kwargs",
       {{"class_name", "training.networks.SynDataGenerator"},
        {"generator_pkl", "horse.pkl"},
        {"truncation_cutoff", 7}}},
      {"A_kwargs", {{"class_name", "training.networks.FPNLabelBranch"}, {"tmp_channels", 128}}},
      {"S_kwargs", {{"class_name", "training.networks.DeepLabv3"}}},
      {"A_opt_kwargs", {{"class_name", "torch.optim.SGD"}, {"lr", 0.001}, {"momentum", 0.9}}},
      {"S_opt_kwargs", {{"class_name", "torch.optim.Adam"}, {"lr", 0.0005}}},
      {"gmparam_regex", ".*classifier.*"}};
  const auto c =
      lagm::matching::annotator_config_from_reference(j, dir + "/horse_2_stylegan2.json");
  EXPECT_TRUE(lagm::matching::is_reference_config(j));
  EXPECT_EQ(c.generator, dir + "/horse.safetensors");
  EXPECT_EQ(c.sampling.truncation_cutoff.value(), 7);
  EXPECT_DOUBLE_EQ(c.sampling.truncation_psi, 0.7);
  EXPECT_EQ(c.segmenter.arch, lagm::models::SegmenterArch::kDeepLabV3ResNet101);
  EXPECT_EQ(c.segmenter_backbone,
            "./checkpoints/resnet101-63fe2227.safetensors");  // pretrained_backbone=True
  EXPECT_EQ(c.gm_params, ".*classifier.*");
  EXPECT_EQ(c.annotator_optimizer.kind, lagm::train::OptimizerKind::kSgd);
  EXPECT_EQ(c.segmenter_optimizer.kind, lagm::train::OptimizerKind::kAdam);
  EXPECT_DOUBLE_EQ(c.segmenter_optimizer.lr, 0.0005);
  EXPECT_EQ(c.batch, 2);
  EXPECT_EQ(c.total_iters, 150000);
  EXPECT_EQ(c.training_set.path, dir + "/data/train");
  EXPECT_EQ(c.training_set.img_size, 256);
  EXPECT_EQ(c.validation_set.path, dir + "/data/val");
  EXPECT_EQ(c.run_name, "horse_2_stylegan2");

  // A non-square [W, H] folder size goes to the loader as it is (PIL (width, height)), the folder
  // still resolved beside the config.
  auto wide = j;
  wide["training_set_kwargs"]["img_size"] = {512, 384};
  const auto w = lagm::matching::annotator_config_from_reference(wide, dir + "/car.json");
  EXPECT_TRUE(w.training_set.path.empty());
  EXPECT_EQ(w.training_set.source["class_name"], "ImageLabelDataset");
  EXPECT_EQ(w.training_set.source["rootdir"], dir + "/data/train");
  EXPECT_EQ(w.training_set.source["img_size"], nlohmann::json({512, 384}));
}

TEST(ReferenceConfig, PaperDataSetsKeepTheirKwargs) {
  const auto dir = lagm::test::fresh_temp_dir("ref2").string();
  std::ofstream(dir + "/g.safetensors") << "x";
  nlohmann::json j = {
      {"training_set_kwargs", {{"class_name", "training.dataset.CelebAMaskDataset"}}},
      {"G_kwargs",
       {{"class_name", "training.networks.SynDataGenerator"}, {"generator_pkl", "g.pkl"}}}};
  j["training_set_kwargs"]["rootdir"] = "./data/CelebAMask-HQ";
  j["training_set_kwargs"]["limit_size"] = 2;
  const auto c = lagm::matching::annotator_config_from_reference(j, dir + "/c.json");
  EXPECT_EQ(c.training_set.source,
            j["training_set_kwargs"]);  // rootdir stays relative to the working directory
  EXPECT_TRUE(c.training_set.path.empty());
  EXPECT_TRUE(c.validation_set.empty());
  j["G_kwargs"]["generator_pkl"] = "missing.pkl";
  try {
    lagm::matching::annotator_config_from_reference(j, dir + "/c.json");
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing.safetensors not found; convert missing.pkl"));
  }
}

// The reference's configs are ranged as lagm's own, by the reference's keys: a batch of 10^9 or
// an FPN of 10^7 channels is refused before anything is built.
TEST(ReferenceConfig, CountsOutsideTheirRangesAreRefusedByTheReferencesKeys) {
  const auto dir = lagm::test::fresh_temp_dir("ref_ranges").string();
  std::ofstream(dir + "/g.safetensors") << "x";
  const nlohmann::json base = {
      {"training_set_kwargs", {{"class_name", "FolderDataset"}, {"path", "d"}}},
      {"G_kwargs",
       {{"class_name", "training.networks.SynDataGenerator"}, {"generator_pkl", "g.pkl"}}}};
  EXPECT_NO_THROW(lagm::matching::annotator_config_from_reference(base, dir + "/c.json"));
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"image_per_batch", 1000000000}}, "c.json.image_per_batch"},
      {{{"total_iters", 0}}, "c.json.total_iters"},
      {{{"A_interval", -1}}, "c.json.A_interval"},
      {{{"network_snapshot_ticks", 0}}, "c.json.network_snapshot_ticks"},
      {{{"A_kwargs", {{"tmp_channels", 10000000}}}}, "c.json.A_kwargs.tmp_channels"},
  };
  for (const auto& [extra, key] : cases) {
    auto j = base;
    j.update(extra);
    try {
      lagm::matching::annotator_config_from_reference(j, dir + "/c.json");
      ADD_FAILURE() << extra.dump() << " was accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr(key)) << e.what();
    }
  }
}

TEST(ReferenceConfig, TransformPipeOfTheCarConfigs) {
  const auto dir = lagm::test::fresh_temp_dir("ref3").string();
  std::ofstream(dir + "/car.safetensors") << "x";
  const nlohmann::json j = {
      {"training_set_kwargs", {{"class_name", "FolderDataset"}, {"path", "d"}}},
      {"G_kwargs",
       {{"class_name", "training.networks.SynDataGenerator"}, {"generator_pkl", "car.pkl"}}},
      {"T_kwargs",
       {{"class_name", "training.transform.TransformPipe"},
        {"wide_crop", true},
        {"resize", {256, 192}}}}};
  const auto c = lagm::matching::annotator_config_from_reference(j, dir + "/cgpart.json");
  EXPECT_TRUE(c.transform.wide_crop);
  ASSERT_TRUE(c.transform.resize.has_value());
  EXPECT_EQ((*c.transform.resize)[0], 256);  // H, as torch reads it (as the reference does)
  const auto hw = lagm::annotator::transformed_size(c.transform, 512);
  EXPECT_EQ(hw[0], 256);
  EXPECT_EQ(hw[1], 192);
}

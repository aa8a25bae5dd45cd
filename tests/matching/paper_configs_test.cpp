// configs/paper/*.json (written by tools/make_paper_configs.py) against the reference's per-config
// table: every setting the paper's runs depend on, config by config, and data-set
// kwargs that the loaders accept (only the missing data may stop them here).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/dataset_spec.h"
#include "lagm/matching/annotator_train_config.h"

namespace lagm::matching {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

std::map<std::string, AnnotatorTrainConfig> load_all() {
  std::map<std::string, AnnotatorTrainConfig> out;
  for (const auto& e : fs::directory_iterator(fs::path(LAGM_SOURCE_DIR) / "configs" / "paper")) {
    if (e.path().extension() != ".json") continue;
    const auto j = nlohmann::json::parse(core::read_file(e.path().string()));
    out.emplace(e.path().stem().string(), annotator_train_config_from_json(j, e.path().string()));
  }
  return out;
}

TEST(PaperConfigs, OneConfigPerReferenceRun) {
  std::set<std::string> expected;
  for (int n : {2, 10, 30, 150, 1500})
    expected.insert("celeba_" + std::to_string(n) + "_stylegan2_256x256");
  for (const char* obj : {"horse", "aeroplane"})
    for (int n : {2, 10, 30, 100, 180})
      expected.insert(std::string(obj) + "_" + std::to_string(n) + "_stylegan2");
  for (const char* g : {"stylegan2", "stylegan"})
    for (const char* s : {"deeplab", "unet"})
      for (const char* d : {"car20", "cat16", "face34"})
        expected.insert(std::string(g) + "_fpn_" + s + "_" + d);
  expected.insert("car_stylegan2_256x192");
  std::set<std::string> got;
  for (const auto& [name, c] : load_all()) {
    got.insert(name);
    EXPECT_EQ(c.run_name, name);
  }
  EXPECT_EQ(got, expected);
}

TEST(PaperConfigs, CommonSettingsAreTheReferenceDefaults) {
  for (const auto& [name, c] : load_all()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(c.annotator_tmp_channels, 128);
    EXPECT_EQ(c.annotator_num_layers, 3);
    for (const auto* o : {&c.annotator_optimizer, &c.segmenter_optimizer}) {
      EXPECT_EQ(o->kind, train::OptimizerKind::kSgd);
      EXPECT_DOUBLE_EQ(o->lr, 1e-3);
      EXPECT_DOUBLE_EQ(o->momentum, 0.9);
    }
    EXPECT_DOUBLE_EQ(c.sampling.truncation_psi, 0.7);
    EXPECT_EQ(c.batch, 2);
    EXPECT_EQ(c.total_iters, 150000);
    EXPECT_EQ(c.niter_per_tick * c.snapshot_ticks, 4000);  // the reference's snapshot cadence
    EXPECT_EQ(c.matcher.metric, MatchMetric::kCosine);
    EXPECT_EQ(c.matcher.reduction, MatchReduction::kMean);
    EXPECT_EQ(c.annotator_interval, 1);
    EXPECT_EQ(c.segmenter_interval, 1);
  }
}

TEST(PaperConfigs, PerConfigSettingsFollowTheTable) {
  for (const auto& [name, c] : load_all()) {
    SCOPED_TRACE(name);
    const bool unet = contains(name, "_unet_");
    EXPECT_EQ(c.segmenter.arch, unet ? lagm::models::SegmenterArch::kUNet
                                     : lagm::models::SegmenterArch::kDeepLabV3ResNet101);
    EXPECT_EQ(c.gm_params, unet ? ".*" : ".*classifier.*");
    EXPECT_EQ(c.segmenter_backbone,
              unet ? "" : AnnotatorTrainConfig::kDefaultResnet101Path);  // ImageNet-pretrained
    const bool cutoff7 =
        starts_with(name, "horse") || starts_with(name, "aeroplane") || contains(name, "cat16");
    ASSERT_TRUE(c.sampling.truncation_cutoff.has_value());
    EXPECT_EQ(*c.sampling.truncation_cutoff, cutoff7 ? 7 : 8);
    const auto& train = c.training_set.source;
    const auto& val = c.validation_set.source;
    if (starts_with(name, "celeba_")) {
      const int n = std::stoi(name.substr(7));
      EXPECT_EQ(train["class_name"], "CelebAMaskDataset");
      EXPECT_EQ(train["limit_size"], n);
      EXPECT_EQ(train["img_size"], 256);
      EXPECT_EQ(val["split"], "val");
      EXPECT_EQ(val["limit_size"], 500);
    } else if (starts_with(name, "horse") || starts_with(name, "aeroplane")) {
      const auto obj = name.substr(0, name.find('_'));
      const int n = std::stoi(name.substr(obj.size() + 1));
      EXPECT_EQ(train["class_name"], "PascalPart");
      EXPECT_EQ(train["rootdir"], "./data/pascal_part/" + obj + "/train");
      if (n == 180)
        EXPECT_FALSE(train.contains("max_size"));
      else
        EXPECT_EQ(train["max_size"], n);
      EXPECT_EQ(val["split"], "val");
      EXPECT_EQ(c.generator,
                obj == "horse"
                    ? "./checkpoints/stylegan2/stylegan2-horse-config-f.safetensors"
                    : "./checkpoints/stylegan2/lsunairplane-stylegan2-noaug-13200.safetensors");
    } else if (name == "car_stylegan2_256x192") {
      EXPECT_EQ(train["class_name"], "CGPart");
      EXPECT_EQ(train["length"], 1000);
      EXPECT_EQ(val["class_name"], "CGPartReal");
      EXPECT_TRUE(c.transform.wide_crop);
      EXPECT_EQ(c.transform.resize, (std::array<int64_t, 2>{256, 192}));  // read as (H, W): B7
    } else {
      const std::string obj = contains(name, "car20")   ? "car"
                              : contains(name, "cat16") ? "cat"
                                                        : "face";
      EXPECT_EQ(train["class_name"], "DatasetGANDataset");
      EXPECT_EQ(train["obj"], obj);
      EXPECT_EQ(train["img_size"], obj == "cat" ? 256 : 512);
      EXPECT_EQ(val["split"], "test");  // the reference validates on the test set (B8)
      if (obj == "car")
        EXPECT_EQ(train["max_size"], 16);
      else
        EXPECT_FALSE(train.contains("max_size"));
      const bool sg1 = starts_with(name, "stylegan_");
      EXPECT_EQ(starts_with(c.generator, "./checkpoints/stylegan1/"), sg1);
      EXPECT_EQ(c.transform.wide_crop, obj == "car");
      if (obj == "car" || (obj == "face" && sg1))
        EXPECT_EQ(c.transform.resize, (std::array<int64_t, 2>{512, 512}));
      else
        EXPECT_FALSE(c.transform.resize.has_value());
    }
  }
}

// The kwargs reach the loaders intact: opening fails only because the data are not here.
TEST(PaperConfigs, LoadersAcceptEveryDataSetSpec) {
  for (const auto& [name, c] : load_all())
    for (const auto* d : {&c.training_set, &c.validation_set}) {
      SCOPED_TRACE(name + " " + d->describe());
      try {
        open_labelled_dataset(*d, name);
        ADD_FAILURE() << "opened without data";
      } catch (const InputError& e) {
        EXPECT_THAT(e.what(), Not(HasSubstr("unknown key")));
        EXPECT_THAT(e.what(), Not(HasSubstr("wrong type")));
        EXPECT_THAT(e.what(), Not(HasSubstr("is implemented")));
        EXPECT_THAT(e.what(), HasSubstr("./data/"));  // names the missing data
      }
    }
}

}  // namespace
}  // namespace lagm::matching

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "golden_case.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/models/deeplabv3.h"
#include "lagm/models/resnet.h"
#include "lagm/models/segmenter.h"
#include "lagm/models/unet.h"
#include "test_support.h"

using ::testing::HasSubstr;
namespace m = lagm::models;

namespace {

nlohmann::ordered_json read_segmenter_manifest(const std::string& name) {
  return nlohmann::ordered_json::parse(
      lagm::core::read_file(std::string(LAGM_GOLDEN_DIR) + "/manifests/" + name));
}

void expect_matches_manifest(const lagm::core::TensorDict& sd,
                             const nlohmann::ordered_json& manifest, const std::string& prefix) {
  std::vector<std::string> got, expected;
  for (const auto& [n, t] : sd.items())
    if (n.rfind(prefix, 0) == 0) got.push_back(n.substr(prefix.size()));
  for (auto it = manifest["tensors"].begin(); it != manifest["tensors"].end(); ++it)
    expected.push_back(it.key());
  ASSERT_EQ(got, expected);
  for (const auto& [n, t] : sd.items()) {
    if (n.rfind(prefix, 0) == 0) {
      EXPECT_EQ(t.sizes().vec(),
                manifest["tensors"][n.substr(prefix.size())]["shape"].get<std::vector<int64_t>>())
          << n;
    }
  }
}

int64_t count_params(torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace

TEST(Segmenters, DeepLabNamesMatchTorchvisionUnderMainNet) {
  m::Segmenter s(
      m::segmenter_config_from_json({{"arch", "deeplabv3_resnet101"}, {"num_classes", 8}}, "t"));
  const auto sd = lagm::core::state_dict(s.module());
  EXPECT_EQ(sd.items()[0].first, "input_mean");
  EXPECT_EQ(sd.items()[1].first, "input_std");
  expect_matches_manifest(sd, read_segmenter_manifest("torchvision_deeplabv3_resnet101_c8.json"),
                          "main_net.");
}

TEST(Segmenters, ResNet101NamesMatchTorchvision) {
  m::ResNet r(m::ResNetOptions(m::resnet_layers("resnet101")));
  expect_matches_manifest(lagm::core::state_dict(*r),
                          read_segmenter_manifest("torchvision_resnet101.json"), "");
}

TEST(Segmenters, DeepLabHeadHas23TensorsUnderClassifier) {
  m::Segmenter s(
      m::segmenter_config_from_json({{"arch", "deeplabv3_resnet50"}, {"num_classes", 4}}, "t"));
  int n = 0;
  for (const auto& p : s.module().named_parameters())
    if (p.key().find("classifier") != std::string::npos) ++n;
  EXPECT_EQ(n, 23);
}

TEST(Segmenters, UNetParameterCountIsTheReferenceFormula) {
  for (int64_t k : {2, 8, 34}) {
    m::UNet u{m::UNetOptions(k)};
    EXPECT_EQ(count_params(*u), 13395264 + 65 * k);
    EXPECT_EQ(u->parameters().size(), 74u);
  }
  m::UNet u{m::UNetOptions(5)};
  std::vector<std::string> names;
  for (const auto& p : u->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names.front(), "inc.conv1.weight");
  EXPECT_EQ(names.back(), "outc.bias");
}

TEST(Segmenters, UNetHandlesSizesNotDivisibleBySixteen) {
  m::UNet u(m::UNetOptions(3).base_channels(4));
  u->eval();
  torch::NoGradGuard g;
  EXPECT_EQ(u->forward(torch::randn({1, 3, 37, 50})).sizes(), torch::IntArrayRef({1, 3, 37, 50}));
}

TEST(Annotator, ParameterCountMatchesCelebAConfig) {
  std::vector<std::vector<int64_t>> shapes = {{512, 4, 4},   {512, 8, 8},   {512, 16, 16},
                                              {512, 32, 32}, {256, 64, 64}, {128, 128, 128},
                                              {64, 256, 256}};
  m::AnnotatorFPN a(m::AnnotatorFPNOptions(shapes, 8));
  EXPECT_EQ(count_params(*a), 625032);
  std::vector<std::string> names;
  for (const auto& p : a->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names.back(), "to_logit.6.bias");
}

TEST(Annotator, FusesCoarseToFineAndOutputsAtFinestResolution) {
  m::AnnotatorFPN a(m::AnnotatorFPNOptions({{8, 4, 4}, {8, 4, 4}, {4, 16, 16}}, 3).tmp_channels(6));
  a->eval();
  torch::NoGradGuard g;
  auto y = a->forward(
      {torch::randn({2, 8, 4, 4}), torch::randn({2, 8, 4, 4}), torch::randn({2, 4, 16, 16})});
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 3, 16, 16}));
  EXPECT_THROW(a->forward({torch::randn({2, 8, 4, 4})}), c10::Error);
}

TEST(Segmenters, ConfigErrorsNameTheField) {
  try {
    m::segmenter_config_from_json({{"arch", "segformer"}, {"num_classes", 3}},
                                  "run.json: S_kwargs");
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("run.json: S_kwargs.arch: unknown segmenter 'segformer'"));
  }
  EXPECT_THROW(m::segmenter_config_from_json({{"arch", "unet"}, {"oops", 1}}, "x"),
               lagm::InputError);
}

// torchvision's real DeepLabv3 (Debian python3-torchvision, random weights) inside LAGM's wrapper:
// eval logits, train logits and BN buffers after the train forward all match.
class DeepLabGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(DeepLabGolden, MatchesTorchvision) {
  const auto dir = lagm::test::fresh_temp_dir("deeplab_" + GetParam()).string();
  auto [code, out] = lagm::test::run_command("/usr/bin/python3 " + std::string(LAGM_SOURCE_DIR) +
                                             "/tools/python/make_deeplab_case.py " + dir + " " +
                                             GetParam() + " 5 48");
  ASSERT_EQ(code, 0) << out;
  const auto report = lagm::golden::run_golden_case(dir);
  ASSERT_TRUE(report.error.empty()) << report.error;
  ASSERT_GT(report.comparisons.size(), 100u);
  for (const auto& c : report.comparisons)
    EXPECT_TRUE(c.pass) << c.name << " max_abs " << c.max_abs;
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Torchvision, DeepLabGolden, ::testing::Values("resnet101", "resnet50"));

TEST(Segmenters, ImageNetBackboneLoadsFromTorchvisionNames) {
  const auto dir = lagm::test::fresh_temp_dir("backbone").string();
  const std::string tools = std::string(LAGM_SOURCE_DIR) + "/tools";
  ASSERT_EQ(lagm::test::run_python_file("checkpoint_reference", {"resnet50", dir + "/r50.pth"}), 0);
  ASSERT_EQ(lagm::test::run_command("/usr/bin/python3 " + tools + "/convert_torch_state_dict.py " +
                                    dir + "/r50.pth " + dir + "/r50.safetensors")
                .first,
            0);
  m::Segmenter s(
      m::segmenter_config_from_json({{"arch", "deeplabv3_resnet50"}, {"num_classes", 3}}, "t"));
  const auto weights = lagm::core::read_safetensors(dir + "/r50.safetensors").tensors;
  m::load_imagenet_backbone(s, weights);
  auto& wrapper = dynamic_cast<m::DeepLabSegmenterImpl&>(s.module());
  EXPECT_TRUE(
      torch::equal(wrapper.main_net->backbone->layer4[2]->as<m::Bottleneck>()->conv3->weight,
                   weights.at("layer4.2.conv3.weight")));
  // and back to PyTorch
  ASSERT_EQ(lagm::test::run_command("/usr/bin/python3 " + tools +
                                    "/convert_torch_state_dict.py --to-torch " + dir +
                                    "/r50.safetensors " + dir + "/back.pth")
                .first,
            0);
  ASSERT_EQ(lagm::test::run_python_file("checkpoint_reference",
                                        {"same-state-dict", dir + "/r50.pth", dir + "/back.pth"}),
            0);
}

// Two configs are the same network when the architecture, the classes and the size setting that
// architecture uses agree (a DeepLab has no base width; a U-Net no ASPP dropout).
TEST(SegmenterConfig, EqualityComparesWhatTheArchitectureUses) {
  lagm::models::SegmenterConfig a;
  a.num_classes = 5;
  auto b = a;
  EXPECT_EQ(a, b);
  b.base_channels = 32;
  EXPECT_NE(a, b);
  b = a, b.num_classes = 6;
  EXPECT_NE(a, b);
  b = a, b.aspp_dropout = 0.1;
  EXPECT_EQ(a, b) << "a U-Net has no ASPP";
  a.arch = b.arch = lagm::models::SegmenterArch::kDeepLabV3ResNet50;
  EXPECT_NE(a, b);
  b = a, b.base_channels = 8;
  EXPECT_EQ(a, b) << "a DeepLab has no base width";
  b = a, b.arch = lagm::models::SegmenterArch::kDeepLabV3ResNet101;
  EXPECT_NE(a, b);
}

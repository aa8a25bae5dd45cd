// lagm export: the U-Net and a DeepLab load in plain PyTorch (tools/python/lagm_export.py, the
// DeepLab into torchvision's own network) and compute lagm's logits on the same input.
#include "lagm/predict/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/model_description.h"
#include "test_support.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

// A randomly initialised segmenter with BatchNorm statistics that are not the identity, written as
// a train-seg checkpoint with a description.
std::string write_segmenter(const std::string& path, const nlohmann::json& config) {
  torch::manual_seed(11);
  lagm::models::Segmenter seg(lagm::models::segmenter_config_from_json(config, "test"));
  torch::NoGradGuard no_grad;
  for (auto& b : seg.module().named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.1);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 1.5);
  }
  std::vector<std::string> names;
  for (int64_t k = 0; k < config.at("num_classes").get<int64_t>(); ++k)
    names.push_back("part" + std::to_string(k));
  const auto d = lagm::models::describe_training(names, 48, 48, 3, "test", "cpu", "fp32", 1);
  lagm::models::write_model_checkpoint(
      path, "segmenter", lagm::models::to_json(seg.config()), seg.module(),
      {{"class_names", names}, {"description", lagm::models::to_json(d)}});
  return path;
}

// Exports `model`, runs lagm on `x` and the Python loader on the same x; the checker's verdict.
int export_and_compare(const fs::path& dir, const std::string& model, const torch::Tensor& x) {
  auto loaded = lagm::annotator::load_segmenter(model);
  lagm::predict::export_pytorch(loaded, model, (dir / "export").string());
  torch::Tensor logits;
  {
    torch::NoGradGuard no_grad;
    logits = loaded.segmenter->forward(x);
  }
  lagm::core::TensorDict c;
  c.set("x", x);
  c.set("logits", logits.contiguous());
  lagm::core::write_safetensors((dir / "case.safetensors").string(), c, {});
  return lagm::test::run_python_file(
      "export_logits_check", {(dir / "export").string(), (dir / "case.safetensors").string()});
}

}  // namespace

TEST(Export, UNetLoadsInPyTorchWithLagmsLogits) {
  const auto dir = lagm::test::fresh_temp_dir("export_unet");
  const auto model = write_segmenter((dir / "unet.safetensors").string(),
                                     {{"arch", "unet"}, {"num_classes", 5}, {"base_channels", 8}});
  torch::manual_seed(1);
  // 36x44: the up-sampling path pads to the skip's size, which the loader must do alike.
  EXPECT_EQ(export_and_compare(dir, model, torch::rand({2, 3, 36, 44}) * 2 - 1), 0);
  const auto manifest =
      nlohmann::json::parse(lagm::core::read_file((dir / "export/model.json").string()));
  EXPECT_EQ(manifest.at("arch"), "unet");
  EXPECT_EQ(manifest.at("classes").size(), 5u);
  EXPECT_EQ(manifest.at("input").at("height"), 48);
  EXPECT_EQ(manifest.at("palette")[1], nlohmann::json({128, 0, 0}));
}

TEST(Export, DeepLabLoadsIntoTorchvisionsNetworkWithLagmsLogits) {
  const auto dir = lagm::test::fresh_temp_dir("export_deeplab");
  const auto model = write_segmenter((dir / "deeplab.safetensors").string(),
                                     {{"arch", "deeplabv3_resnet50"}, {"num_classes", 4}});
  torch::manual_seed(2);
  EXPECT_EQ(export_and_compare(dir, model, torch::rand({1, 3, 64, 64}) * 2 - 1), 0);
  // torchvision's names: no lagm wrapper prefix, no normalisation buffers.
  const auto header =
      lagm::core::read_safetensors_header((dir / "export/model.safetensors").string());
  bool backbone = false;
  for (const auto& e : header.entries) {
    EXPECT_EQ(e.name.rfind("main_net.", 0), std::string::npos) << e.name;
    EXPECT_EQ(e.name.find("input_mean"), std::string::npos);
    backbone = backbone || e.name == "backbone.layer4.2.bn3.running_var";
  }
  EXPECT_TRUE(backbone);
}

TEST(Export, RefusesToWriteOverTheModelItExports) {
  const auto dir = lagm::test::fresh_temp_dir("export_self");
  const auto model = write_segmenter((dir / "model.safetensors").string(),
                                     {{"arch", "unet"}, {"num_classes", 3}, {"base_channels", 4}});
  auto loaded = lagm::annotator::load_segmenter(model);
  const auto before = lagm::core::read_file(model);
  try {
    lagm::predict::export_pytorch(loaded, model, dir.string());
    ADD_FAILURE() << "the export replaced its own input";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("model.safetensors"));
  }
  EXPECT_EQ(lagm::core::read_file(model), before);
}

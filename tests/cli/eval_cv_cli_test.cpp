// `lagm eval --cv 5` end to end on a test_seg.py-style folder with checkpoints whose predictions
// are known: each predicts one constant class. A NumPy transcription of the protocol computes the
// expected fold results from the labels alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/safetensors.h"
#include "lagm/downstream/segmenter_trainer.h"
#include "lagm/io/image.h"
#include "test_support.h"

namespace {

using ::testing::HasSubstr;

// A copy of `model` whose output is `cls` everywhere: zero 1x1 head, one-hot bias.
void write_constant_checkpoint(const std::string& model, const std::string& out, int64_t cls) {
  auto file = lagm::core::read_safetensors(model);
  lagm::core::TensorDict t;
  for (const auto& [name, tensor] : file.tensors.items()) {
    auto v = tensor.clone();
    if (name.find("outc.weight") != std::string::npos) v.zero_();
    if (name.find("outc.bias") != std::string::npos) {
      v.zero_();
      v[cls] = 10.0;
    }
    t.set(name, v);
  }
  lagm::core::write_safetensors(out, t, file.metadata);
}

TEST(EvalCli, CrossValidationSelectsPerFoldAsTheReference) {
  const auto dir = lagm::test::fresh_temp_dir("eval_cv");
  ASSERT_EQ(lagm::test::run_python_file("eval_cv_expectation", {dir.string()}), 0);
  lagm::test::write_random_folder_dataset((dir / "train").string(), 4, 3, 16);
  lagm::downstream::SegmenterTrainConfig c;
  c.data.path = (dir / "train").string();
  c.segmenter.base_channels = 4;
  c.epochs = 1;
  c.batch = 4;
  lagm::downstream::train_segmenter(c, (dir / "seg").string(), torch::kCPU);
  const auto base = (dir / "seg" / "segmenter-000.safetensors").string();
  std::filesystem::create_directories(dir / "run");
  const int64_t constant[] = {2, 0, 1, 0};
  for (int k = 0; k < 4; ++k)
    write_constant_checkpoint(
        base, (dir / "run" / ("segmenter-00" + std::to_string(k) + ".safetensors")).string(),
        constant[k]);

  const auto [code, out] = lagm::test::run_command(
      std::string(LAGM_BINARY) + " eval --cv 5 --model " + (dir / "run").string() + " --data " +
      (dir / "test").string() + " 2>&1");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("cross-validated mIoU"));
  const auto expected =
      nlohmann::json::parse(lagm::core::read_file((dir / "expected.json").string()));
  const auto got = nlohmann::json::parse(
      lagm::core::read_file((dir / "run" / "cross_validation.json").string()));
  EXPECT_NEAR(got["Cross validation mean"].get<double>(), expected["mean"].get<double>(), 1e-9);
  EXPECT_NEAR(got["Cross validation std"].get<double>(), expected["std"].get<double>(), 1e-9);
  const auto folds = got["Cross validation"].get<std::vector<double>>();
  const auto e_folds = expected["folds"].get<std::vector<double>>();
  ASSERT_EQ(folds.size(), 5u);
  for (size_t f = 0; f < 5; ++f) {
    EXPECT_NEAR(folds[f], e_folds[f], 1e-9) << f;
    const int pick = expected["chosen"][f].get<int>();
    EXPECT_THAT(got["folds"][f]["checkpoint"].get<std::string>(),
                HasSubstr("segmenter-00" + std::to_string(pick) + ".safetensors"))
        << f;
  }
}

// A network that predicts class 2 everywhere: the confusion matrix is known without running it
// (row 2 = the pixel count of each true class, other rows 0), and so are IoU and pACC.
TEST(EvalCli, KnownPredictionGivesTheExactConfusionMatrix) {
  const auto dir = lagm::test::fresh_temp_dir("eval_known");
  lagm::test::write_random_folder_dataset((dir / "data").string(), 3, 3, 16, 5);
  lagm::downstream::SegmenterTrainConfig c;
  c.data.path = (dir / "data").string();
  c.segmenter.base_channels = 4;
  c.validation.path = (dir / "data").string();
  c.epochs = 1;
  c.batch = 3;
  lagm::downstream::train_segmenter(c, (dir / "seg").string(), torch::kCPU);
  const auto model = (dir / "const2.safetensors").string();
  write_constant_checkpoint((dir / "seg" / "segmenter-000.safetensors").string(), model, 2);
  const auto [code, out] =
      lagm::test::run_command(std::string(LAGM_BINARY) + " eval --model " + model + " --data " +
                              (dir / "data").string() + " --json " + (dir / "m.json").string());
  ASSERT_EQ(code, 0) << out;
  int64_t truth[3] = {0, 0, 0};
  for (const auto& e : std::filesystem::directory_iterator(dir / "data" / "seg")) {
    const auto l = lagm::io::read_mask_png(e.path().string()).to(torch::kLong);
    for (int64_t k = 0; k < 3; ++k) truth[k] += (l == k).sum().item<int64_t>();
  }
  const auto j = nlohmann::json::parse(lagm::core::read_file((dir / "m.json").string()));
  const auto rows = j["confusion_pred_by_gt"].get<std::vector<std::vector<int64_t>>>();
  for (int64_t p = 0; p < 3; ++p)
    for (int64_t g = 0; g < 3; ++g) EXPECT_EQ(rows[p][g], p == 2 ? truth[g] : 0) << p << "," << g;
  const double total = double(truth[0] + truth[1] + truth[2]);
  EXPECT_NEAR(j["pACC"].get<double>(), truth[2] / total, 1e-12);
  EXPECT_NEAR(j["mIoU"].get<double>(), (truth[2] / total) / 3.0, 1e-12);  // IoU 0, 0, truth2/total

  // A run folder: the checkpoint with the best validation FG-mIoU (benchmark mode).
  const auto [code2, out2] =
      lagm::test::run_command(std::string(LAGM_BINARY) + " eval --model " + (dir / "seg").string() +
                              " --data " + (dir / "data").string());
  ASSERT_EQ(code2, 0) << out2;
  EXPECT_THAT(out2, HasSubstr("segmenter-000.safetensors: best validation FG-mIoU"));
}

}  // namespace

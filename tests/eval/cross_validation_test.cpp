// The --cv protocol on hand-made per-image confusion matrices: folds, strict '>',
// remainder in the test part, mean and population std.
#include "lagm/eval/cross_validation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fixtures.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/eval/evaluate.h"
#include "lagm/models/segmenter.h"
#include "test_support.h"

namespace lagm::eval {
namespace {

TEST(CrossValidation, SelectsByStrictlyBetterValidationMIoUPerFold) {
  // Two classes, one pixel of each per image. "right": both pixels correct; "wrong": both swapped.
  const auto right = torch::tensor({{1, 0}, {0, 1}}, torch::kInt64),
             wrong = torch::tensor({{0, 1}, {1, 0}}, torch::kInt64);
  std::vector<std::vector<torch::Tensor>> counts(2);
  for (int i = 0; i < 10; ++i) {
    counts[0].push_back(i < 5 ? right : wrong);  // checkpoint 0 is right on images 0-4
    counts[1].push_back(i < 5 ? wrong : right);  // checkpoint 1 on images 5-9
  }
  const auto r = cross_validate(counts, 5);
  // Folds of 2 images. Fold 2 (images 4, 5) ties at 1/3: checkpoint 1 is not strictly better.
  EXPECT_EQ(r.fold_checkpoint, (std::vector<int64_t>{0, 0, 0, 1, 1}));
  const double a = 3.0 / 13, b = 1.0 / 3;  // test mIoU of 3 right + 5 wrong images; of 4 + 4
  const std::vector<double> expected = {a, a, b, a, a};
  for (size_t f = 0; f < 5; ++f) EXPECT_NEAR(r.fold_miou[f], expected[f], 1e-12) << f;
  const double mean = (4 * a + b) / 5;
  EXPECT_NEAR(r.mean, mean, 1e-12);
  EXPECT_NEAR(r.std, std::sqrt((4 * (a - mean) * (a - mean) + (b - mean) * (b - mean)) / 5), 1e-12);
}

TEST(CrossValidation, NoCheckpointAboveZeroGivesZero) {
  const auto wrong = torch::tensor({{0, 1}, {1, 0}}, torch::kInt64);
  std::vector<std::vector<torch::Tensor>> counts = {std::vector<torch::Tensor>(7, wrong)};
  const auto r =
      cross_validate(counts, 5);  // fold = 1 image; images 5 and 6 are always in the test part
  EXPECT_EQ(r.fold_checkpoint, std::vector<int64_t>(5, -1));
  EXPECT_EQ(r.mean, 0.0);
}

}  // namespace
}  // namespace lagm::eval

// The per-image counts cross-validation reads add up to the data set's confusion matrix, one
// matrix per image in data-set order.
TEST(CrossValidation, PerImageConfusionSumsToTheWholeDataSetsMatrix) {
  const auto dir = lagm::test::fresh_temp_dir("per_image_confusion").string();
  lagm::test::write_random_folder_dataset(dir, 3, 4);
  lagm::data::FolderDataset data(dir);
  lagm::models::SegmenterConfig c;
  c.arch = lagm::models::SegmenterArch::kUNet;
  c.num_classes = 4;
  c.base_channels = 4;
  torch::manual_seed(3);
  lagm::models::Segmenter s(c);
  const auto per_image = lagm::eval::per_image_confusion(s, data, torch::kCPU);
  ASSERT_EQ(per_image.size(), 3u);
  auto sum = torch::zeros_like(per_image[0]);
  for (const auto& m : per_image) {
    EXPECT_EQ(m.sum().item<int64_t>(), 32 * 32);  // every pixel of one 32x32 image
    sum += m;
  }
  EXPECT_TRUE(torch::equal(sum, lagm::eval::evaluate_segmenter(s, data, torch::kCPU).counts()));
}

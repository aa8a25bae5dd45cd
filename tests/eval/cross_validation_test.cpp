// The --cv protocol on hand-made per-image confusion matrices: folds, strict '>',
// remainder in the test part, mean and population std.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "lagm/eval/cross_validation.h"

namespace lagm::eval {
namespace {

TEST(CrossValidation, SelectsByStrictlyBetterValidationMIoUPerFold) {
  // Two classes, one pixel of each per image. "right": both pixels correct; "wrong": both swapped.
  const auto right = torch::tensor({{1, 0}, {0, 1}}, torch::kInt64), wrong = torch::tensor({{0, 1}, {1, 0}}, torch::kInt64);
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
  const auto r = cross_validate(counts, 5);  // fold = 1 image; images 5 and 6 are always in the test part
  EXPECT_EQ(r.fold_checkpoint, std::vector<int64_t>(5, -1));
  EXPECT_EQ(r.mean, 0.0);
}

}  // namespace
}  // namespace lagm::eval

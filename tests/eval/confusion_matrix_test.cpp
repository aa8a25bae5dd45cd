#include "lagm/eval/confusion_matrix.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "lagm/core/error.h"

using lagm::eval::AbsentClassRule;
using lagm::eval::ConfusionMatrix;

TEST(ConfusionMatrix, CountsPredictionRowsAgainstTruthColumnsAndIgnoresOutOfRange) {
  ConfusionMatrix cm(3);
  cm.add(torch::tensor({0, 1, 1, 2, 2}), torch::tensor({0, 1, 2, 2, 255}));
  auto expected = torch::tensor({1, 0, 0, 0, 1, 1, 0, 0, 1}, torch::kInt64).view({3, 3});
  EXPECT_TRUE(torch::equal(cm.counts(), expected));
  const auto m = cm.metrics();
  EXPECT_DOUBLE_EQ(m.pixel_accuracy, 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(m.iou[0], 1.0);
  EXPECT_DOUBLE_EQ(m.iou[1], 0.5);
  EXPECT_DOUBLE_EQ(m.iou[2], 0.5);
  EXPECT_DOUBLE_EQ(m.mean_iou, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.fg_mean_iou, 0.5);
}

TEST(ConfusionMatrix, AccumulatesOverBatchesNotPerImage) {
  ConfusionMatrix whole(2), parts(2);
  auto p = torch::tensor({0, 1, 1, 0, 1, 1});
  auto g = torch::tensor({0, 1, 0, 0, 1, 1});
  whole.add(p, g);
  parts.add(p.slice(0, 0, 2), g.slice(0, 0, 2));
  parts.add(p.slice(0, 2), g.slice(0, 2));
  EXPECT_TRUE(torch::equal(whole.counts(), parts.counts()));
}

TEST(ConfusionMatrix, AbsentClassRules) {
  ConfusionMatrix cm(3);
  cm.add(torch::tensor({0, 1}), torch::tensor({0, 1}));  // class 2 absent everywhere
  EXPECT_DOUBLE_EQ(cm.metrics(AbsentClassRule::kCountAsZero).mean_iou, 2.0 / 3.0);
  const auto skip = cm.metrics(AbsentClassRule::kSkip);
  EXPECT_DOUBLE_EQ(skip.mean_iou, 1.0);
  EXPECT_DOUBLE_EQ(skip.fg_mean_iou, 1.0);
  EXPECT_TRUE(std::isnan(skip.iou[2]));
}

TEST(ConfusionMatrix, RejectsPredictionsOutOfRangeAndShapeMismatch) {
  ConfusionMatrix cm(2);
  EXPECT_THROW(cm.add(torch::tensor({5}), torch::tensor({1})), lagm::Error);
  EXPECT_THROW(cm.add(torch::tensor({0, 1}), torch::tensor({1})), lagm::Error);
}

// Region counting and class histograms used by `lagm gan-quality`.
#include "lagm/eval/part_statistics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace lagm::eval {
namespace {

TEST(PartStatistics, CountsFourConnectedRegionsAboveAMinimumSize) {
  auto l = torch::zeros({6, 8}, torch::kInt64);
  l.index_put_({torch::indexing::Slice(1, 3), torch::indexing::Slice(1, 3)}, 3);  // 4 px
  l.index_put_({torch::indexing::Slice(1, 3), torch::indexing::Slice(5, 7)}, 3);  // 4 px
  l[4][4] = 3;                                                                    // 1 px
  l[3][3] = 3;  // touches the first block only diagonally: a region of its own
  EXPECT_EQ(count_regions(l, 3, 1), 4);
  EXPECT_EQ(count_regions(l, 3, 2), 2);
  EXPECT_EQ(count_regions(l, 5, 1), 0);
  EXPECT_EQ(count_regions(l, 0, 1), 1);  // the background is one connected region
}

TEST(PartStatistics, HistogramAndExpectedRegionFraction) {
  auto labels = torch::zeros({2, 4, 4}, torch::kInt64);
  labels[0][0][0] = 1, labels[0][0][3] = 1;  // image 0: two regions of class 1
  labels[1][0][0] = 1, labels[1][0][1] = 1;  // image 1: one region of class 1
  const auto s = part_statistics(labels, 3, 1, 2, 1);
  EXPECT_EQ(s.images, 2);
  ASSERT_EQ(s.class_fraction.size(), 3u);
  EXPECT_DOUBLE_EQ(s.class_fraction[0], 28.0 / 32);
  EXPECT_DOUBLE_EQ(s.class_fraction[1], 4.0 / 32);
  EXPECT_DOUBLE_EQ(s.class_fraction[2], 0.0);
  EXPECT_DOUBLE_EQ(s.expected_regions_fraction, 0.5);
  EXPECT_DOUBLE_EQ(l1_distance({0.5, 0.5, 0}, {0.25, 0.5, 0.25}), 0.5);
}

}  // namespace
}  // namespace lagm::eval

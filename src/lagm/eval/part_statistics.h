// Statistics of part label maps that measure how well a generator draws a domain: the
// pixel share of every class, and how often a part forms the expected number of regions (two eyes).
#pragma once

#include <torch/types.h>

#include <vector>

namespace lagm::eval {

/// Number of 4-connected regions of class `cls` in a label map [H, W] with >= min_pixels pixels.
int64_t count_regions(const torch::Tensor& labels, int64_t cls, int64_t min_pixels = 1);

struct PartStatistics {
  int64_t images = 0;
  std::vector<double> class_fraction;    ///< pixel share of each class over all images (sums to 1)
  double expected_regions_fraction = 0;  ///< images where `cls` forms exactly `expected` regions
};

/// labels [N, H, W] (any int dtype).
PartStatistics part_statistics(const torch::Tensor& labels, int64_t num_classes,
                               int64_t region_class, int64_t expected_regions,
                               int64_t min_region_pixels);

/// Sum of |a_i - b_i| (0 = identical histograms, 2 = disjoint).
double l1_distance(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace lagm::eval

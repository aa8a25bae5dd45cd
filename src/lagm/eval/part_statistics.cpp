#include "lagm/eval/part_statistics.h"

#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace lagm::eval {

int64_t count_regions(const torch::Tensor& labels_in, int64_t cls, int64_t min_pixels) {
  TORCH_CHECK(labels_in.dim() == 2, "count_regions: labels must be [H, W]");
  const auto labels = labels_in.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t h = labels.size(0), w = labels.size(1);
  const int64_t* l = labels.data_ptr<int64_t>();
  std::vector<uint8_t> seen(static_cast<size_t>(h * w), 0);
  std::vector<int64_t> stack;
  int64_t regions = 0;
  for (int64_t start = 0; start < h * w; ++start) {
    if (l[start] != cls || seen[static_cast<size_t>(start)]) continue;
    int64_t size = 0;
    stack.assign(1, start);
    seen[static_cast<size_t>(start)] = 1;
    while (!stack.empty()) {
      const int64_t p = stack.back();
      stack.pop_back();
      ++size;
      const int64_t y = p / w, x = p % w;
      const int64_t nbs[4][2] = {{y - 1, x}, {y + 1, x}, {y, x - 1}, {y, x + 1}};
      for (const auto& nb : nbs) {
        if (nb[0] < 0 || nb[0] >= h || nb[1] < 0 || nb[1] >= w) continue;
        const int64_t q = nb[0] * w + nb[1];
        if (l[q] == cls && !seen[static_cast<size_t>(q)]) {
          seen[static_cast<size_t>(q)] = 1;
          stack.push_back(q);
        }
      }
    }
    regions += size >= min_pixels;
  }
  return regions;
}

PartStatistics part_statistics(const torch::Tensor& labels, int64_t num_classes,
                               int64_t region_class, int64_t expected_regions,
                               int64_t min_region_pixels) {
  TORCH_CHECK(labels.dim() == 3, "part_statistics: labels must be [N, H, W]");
  PartStatistics s;
  s.images = labels.size(0);
  const auto counts =
      torch::bincount(labels.to(torch::kCPU, torch::kInt64).reshape(-1), {}, num_classes)
          .to(torch::kFloat64);
  const double total = counts.sum().item<double>();
  for (int64_t c = 0; c < num_classes; ++c)
    s.class_fraction.push_back(counts[c].item<double>() / total);
  int64_t hits = 0;
  for (int64_t i = 0; i < s.images; ++i)
    hits += count_regions(labels[i], region_class, min_region_pixels) == expected_regions;
  s.expected_regions_fraction =
      s.images ? static_cast<double>(hits) / static_cast<double>(s.images) : 0.0;
  return s;
}

double l1_distance(const std::vector<double>& a, const std::vector<double>& b) {
  TORCH_CHECK(a.size() == b.size(), "l1_distance: histograms of different lengths");
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += std::abs(a[i] - b[i]);
  return d;
}

}  // namespace lagm::eval

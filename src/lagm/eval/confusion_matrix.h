// Confusion matrix accumulated over a whole data set and the segmentation metrics derived from it,
// with the reference's conventions (golden kind `miou`).
#pragma once

#include <torch/types.h>

#include <vector>

namespace lagm::eval {

/// How a class that is absent from both prediction and ground truth enters the mean IoU.
enum class AbsentClassRule {
  kCountAsZero,  ///< the reference (and DatasetGAN): IoU 0, still averaged in
  kSkip,         ///< left out of the mean, as most benchmarks do
};

/// Segmentation metrics; IoU values are fractions in [0, 1].
struct SegmentationMetrics {
  double pixel_accuracy = 0;  ///< pACC = trace / total
  double mean_iou = 0;        ///< over all classes, background included
  double fg_mean_iou = 0;     ///< over classes 1..C-1
  std::vector<double> iou;    ///< per class; NaN for absent classes under kSkip
};

/// Rows = prediction, columns = ground truth. Pixels with gt >= C (or < 0) are ignored (255 etc.).
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t num_classes);
  /// Adds predictions and ground truth of any matching shape (int tensors, any device).
  void add(const torch::Tensor& pred, const torch::Tensor& gt);
  /// Adds another matrix's counts (int64 [C, C]), e.g. per-image matrices summed over a fold.
  void add_counts(const torch::Tensor& counts);
  /// int64 [C, C] on the CPU.
  const torch::Tensor& counts() const { return counts_; }
  int64_t num_classes() const { return num_classes_; }
  SegmentationMetrics metrics(AbsentClassRule rule = AbsentClassRule::kCountAsZero) const;

 private:
  int64_t num_classes_;
  torch::Tensor counts_;
};

}  // namespace lagm::eval

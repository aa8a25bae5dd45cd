#include "lagm/eval/confusion_matrix.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "lagm/core/error.h"

namespace lagm::eval {

ConfusionMatrix::ConfusionMatrix(int64_t num_classes)
    : num_classes_(num_classes), counts_(torch::zeros({num_classes, num_classes}, torch::kInt64)) {
  if (num_classes < 1) throw Error("ConfusionMatrix: num_classes must be >= 1");
}

void ConfusionMatrix::add_counts(const torch::Tensor& counts) {
  if (counts.sizes() != counts_.sizes())
    throw Error(format_mismatch("confusion counts", "shape", format_shape(counts.sizes().vec()),
                                format_shape(counts_.sizes().vec())));
  counts_ += counts.to(torch::kCPU, torch::kInt64);
}

void ConfusionMatrix::add(const torch::Tensor& pred, const torch::Tensor& gt) {
  if (pred.sizes() != gt.sizes())
    throw Error(format_mismatch("prediction", "shape", format_shape(pred.sizes().vec()),
                                format_shape(gt.sizes().vec()) + " (the ground truth's)"));
  auto p = pred.reshape(-1).to(torch::kInt64);
  auto g = gt.reshape(-1).to(torch::kInt64);
  auto keep = (g >= 0) & (g < num_classes_);
  p = p.masked_select(keep);
  g = g.masked_select(keep);
  if ((p < 0).logical_or(p >= num_classes_).any().item<bool>())
    throw Error("prediction holds class indices outside [0, " + std::to_string(num_classes_) + ")");
  auto bins = torch::bincount(p * num_classes_ + g, /*weights=*/{}, num_classes_ * num_classes_);
  counts_ += bins.to(torch::kCPU).view({num_classes_, num_classes_});
}

SegmentationMetrics ConfusionMatrix::metrics(AbsentClassRule rule) const {
  auto c = counts_.to(torch::kFloat64);
  auto tp = c.diag();
  auto union_ = c.sum(1) + c.sum(0) - tp;
  SegmentationMetrics m;
  const double total = c.sum().item<double>();
  m.pixel_accuracy = total > 0 ? tp.sum().item<double>() / total : 0.0;
  m.iou.resize(num_classes_);
  double sum_all = 0, sum_fg = 0;
  int64_t n_all = 0, n_fg = 0;
  for (int64_t k = 0; k < num_classes_; ++k) {
    const double u = union_[k].item<double>();
    double iou;
    if (u > 0) {
      iou = tp[k].item<double>() / u;
    } else if (rule == AbsentClassRule::kCountAsZero) {
      iou = 0.0;  // the reference divides 0 by 1e-8
    } else {
      m.iou[k] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    m.iou[k] = iou;
    sum_all += iou, ++n_all;
    if (k > 0) sum_fg += iou, ++n_fg;
  }
  m.mean_iou = n_all ? sum_all / n_all : 0.0;
  m.fg_mean_iou = n_fg ? sum_fg / n_fg : 0.0;
  return m;
}

}  // namespace lagm::eval

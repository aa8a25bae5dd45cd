// Golden kind `miou`: confusion matrix and metrics with the reference's conventions.
#include <torch/torch.h>

#include "golden_case.h"
#include "lagm/eval/confusion_matrix.h"

namespace lagm::golden {

void run_miou(const GoldenCase& c, Checker& check) {
  const double atol = c.config.at("tolerance").at("atol").get<double>();
  eval::ConfusionMatrix cm(c.config.at("num_classes").get<int64_t>());
  cm.add(c.io.at("in.pred"), c.io.at("in.gt"));
  const auto m = cm.metrics(eval::AbsentClassRule::kCountAsZero);
  auto scalar = [](double v) { return torch::tensor({v}, torch::kFloat64); };
  check.compare("confusion_pred_by_gt", cm.counts(), c.io.at("out.confusion_pred_by_gt"), 0, 0);
  check.compare("iou", torch::tensor(m.iou, torch::kFloat64), c.io.at("out.iou"), 0, atol);
  check.compare("mIoU", scalar(m.mean_iou), c.io.at("out.mIoU"), 0, atol);
  check.compare("fg_mIoU", scalar(m.fg_mean_iou), c.io.at("out.fg_mIoU"), 0, atol);
  check.compare("pACC", scalar(m.pixel_accuracy), c.io.at("out.pACC"), 0, atol);
}

}  // namespace lagm::golden

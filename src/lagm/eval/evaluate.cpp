#include "lagm/eval/evaluate.h"

#include <torch/torch.h>

namespace lagm::eval {

ConfusionMatrix evaluate_segmenter(models::Segmenter& segmenter, const data::LabelledDataset& dataset,
                                   torch::Device device, int64_t batch_size) {
  const bool was_training = segmenter.module().is_training();
  segmenter.module().eval();
  torch::NoGradGuard no_grad;
  ConfusionMatrix cm(segmenter.config().num_classes);
  for (size_t start = 0; start < dataset.size(); start += static_cast<size_t>(batch_size)) {
    std::vector<size_t> idx;
    for (size_t i = start; i < std::min(dataset.size(), start + static_cast<size_t>(batch_size)); ++i) idx.push_back(i);
    auto [images, labels] = data::load_batch(dataset, idx);
    auto pred = segmenter.forward(images.to(device)).argmax(1);
    cm.add(pred.cpu(), labels);
  }
  segmenter.module().train(was_training);
  return cm;
}

}  // namespace lagm::eval

#include "lagm/eval/evaluate.h"

#include <torch/torch.h>

#include "lagm/core/error.h"

namespace lagm::eval {

ConfusionMatrix evaluate_segmenter(models::Segmenter& segmenter,
                                   const data::LabelledDataset& dataset, torch::Device device,
                                   int64_t batch_size, Share share) {
  // A zero batch would divide by zero below (SIGFPE), a zero share count likewise.
  if (batch_size < 1)
    throw UsageError("evaluation: batch size " + std::to_string(batch_size) + " < 1");
  if (share.count < 1 || share.index < 0 || share.index >= share.count)
    throw UsageError("evaluation: share " + std::to_string(share.index) + " of " +
                     std::to_string(share.count) + " does not exist");
  const bool was_training = segmenter.module().is_training();
  segmenter.module().eval();
  torch::NoGradGuard no_grad;
  ConfusionMatrix cm(segmenter.config().num_classes);
  if (dataset.size() > 0) {
    const auto first = dataset.get(0).image;
    segmenter.require_memory_for(std::min<int64_t>(batch_size, dataset.size()), first.size(1),
                                 first.size(2), false);
  }
  for (size_t start = 0; start < dataset.size(); start += static_cast<size_t>(batch_size)) {
    if (static_cast<int64_t>(start / static_cast<size_t>(batch_size)) % share.count != share.index)
      continue;
    std::vector<size_t> idx;
    for (size_t i = start; i < std::min(dataset.size(), start + static_cast<size_t>(batch_size));
         ++i)
      idx.push_back(i);
    auto [images, labels] = data::load_batch(dataset, idx);
    segmenter.require_input_size(images.size(2), images.size(3), dataset.root());
    auto pred = segmenter.forward(images.to(device)).argmax(1);
    cm.add(pred.cpu(), labels);
  }
  segmenter.module().train(was_training);
  return cm;
}

std::vector<torch::Tensor> per_image_confusion(models::Segmenter& segmenter,
                                               const data::LabelledDataset& dataset,
                                               torch::Device device) {
  torch::NoGradGuard no_grad;
  segmenter.module().eval();
  std::vector<torch::Tensor> per_image;
  for (size_t i = 0; i < dataset.size(); ++i) {
    const auto s = dataset.get(i);
    ConfusionMatrix cm(dataset.num_classes());
    cm.add(segmenter.forward(s.image.unsqueeze(0).to(device)).argmax(1).cpu()[0], s.label);
    per_image.push_back(cm.counts().clone());
  }
  return per_image;
}

}  // namespace lagm::eval

// Evaluation of a segmentation network on a labelled data set: confusion matrix over all pixels,
// then the metrics.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

#include "lagm/data/folder_dataset.h"
#include "lagm/eval/confusion_matrix.h"
#include "lagm/models/segmenter.h"

namespace lagm::eval {

/// Runs `segmenter` in eval mode without autograd over the whole data set in batches of
/// `batch_size` (1 = any image sizes) and returns the accumulated confusion matrix.
ConfusionMatrix evaluate_segmenter(models::Segmenter& segmenter,
                                   const data::LabelledDataset& dataset, torch::Device device,
                                   int64_t batch_size = 1);

/// The confusion counts (int64 [C, C]) of every image on its own, in data-set order, one image per
/// forward as the reference's test_seg.py: what cross-validated checkpoint selection needs.
std::vector<torch::Tensor> per_image_confusion(models::Segmenter& segmenter,
                                               const data::LabelledDataset& dataset,
                                               torch::Device device);

}  // namespace lagm::eval

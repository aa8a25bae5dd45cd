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

/// Share `index` of `count` of a data set's batches (batch b belongs to share b mod count): the
/// part one process of a data-parallel evaluation sees.
struct Share {
  int64_t index = 0, count = 1;
};

/// Runs `segmenter` in eval mode without autograd over the whole data set (or its `share`) in
/// batches of `batch_size` (1 = any image sizes) and returns the accumulated confusion matrix.
/// The shares' matrices sum to the whole set's.
ConfusionMatrix evaluate_segmenter(models::Segmenter& segmenter,
                                   const data::LabelledDataset& dataset, torch::Device device,
                                   int64_t batch_size = 1, Share share = {});

/// The confusion counts (int64 [C, C]) of every image on its own, in data-set order, one image per
/// forward as the reference's test_seg.py: what cross-validated checkpoint selection needs.
std::vector<torch::Tensor> per_image_confusion(models::Segmenter& segmenter,
                                               const data::LabelledDataset& dataset,
                                               torch::Device device);

}  // namespace lagm::eval

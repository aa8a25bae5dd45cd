// Pictures of labels: images above their colour-mapped label maps (VOC palette), and for
// annotator outputs a third row where pixels with max softmax < threshold are shown as 255.
#pragma once

#include <torch/types.h>

namespace lagm::eval {

/// images [N, 3, H, W] in [-1, 1]; labels int [N, H, W] -> uint8 grid of 2 rows x N columns.
torch::Tensor image_label_grid(const torch::Tensor& images, const torch::Tensor& labels);

/// images [N, 3, H, W]; probs [N, K, H, W] -> 3 rows: images, argmax, argmax with low confidence =
/// 255.
torch::Tensor image_prediction_grid(const torch::Tensor& images, const torch::Tensor& probs,
                                    double threshold = 0.9);

}  // namespace lagm::eval

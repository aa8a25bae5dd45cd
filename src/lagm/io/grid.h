// Image grids for people to look at: tiles of uint8 images, colour-mapped label maps.
#pragma once

#include <torch/types.h>

namespace lagm::io {

/// Tiles uint8 [N, H, W, 3] into [rows*H, cols*W, 3], row-major; empty cells are black.
/// cols <= 0 picks ceil(sqrt(N)).
torch::Tensor tile_images(const torch::Tensor& images, int64_t cols = 0);

/// Colour-maps class indices [.., H, W] (any int dtype; 255 = ignore) with the VOC palette to
/// uint8 [.., H, W, 3].
torch::Tensor colorize_labels(const torch::Tensor& labels);

}  // namespace lagm::io

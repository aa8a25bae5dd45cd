#include "lagm/io/grid.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/core/error.h"
#include "lagm/io/image.h"

namespace lagm::io {

torch::Tensor tile_images(const torch::Tensor& images, int64_t cols) {
  if (images.dim() != 4 || images.size(3) != 3 || images.scalar_type() != torch::kUInt8)
    throw Error("tile_images expects uint8 [N, H, W, 3], got " +
                format_shape(images.sizes().vec()));
  const int64_t n = images.size(0), h = images.size(1), w = images.size(2);
  if (cols <= 0)
    cols = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n)))));
  const int64_t rows = (n + cols - 1) / cols;
  auto padded = torch::zeros({rows * cols, h, w, 3}, torch::kUInt8);
  padded.narrow(0, 0, n).copy_(images.to(torch::kCPU));
  return padded.view({rows, cols, h, w, 3})
      .permute({0, 2, 1, 3, 4})
      .reshape({rows * h, cols * w, 3});
}

torch::Tensor colorize_labels(const torch::Tensor& labels) {
  static const torch::Tensor palette =
      torch::from_blob(const_cast<uint8_t*>(voc_palette().data()), {256, 3}, torch::kUInt8).clone();
  auto idx = labels.to(torch::kCPU, torch::kInt64).clamp(0, 255);
  auto out = palette.index_select(0, idx.reshape(-1));
  auto shape = labels.sizes().vec();
  shape.push_back(3);
  return out.view(shape);
}

}  // namespace lagm::io

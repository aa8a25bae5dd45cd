// Resizing with PIL's exact semantics, so that data loaders reproduce the reference byte for byte:
// separable convolution resampling with antialiasing (the filter
// support widens with the down-scale factor), 8-bit fixed-point coefficients and an 8-bit
// intermediate between the horizontal and the vertical pass; and PIL's nearest for labels.
#pragma once

#include <torch/types.h>

namespace lagm::io {

/// PIL resampling filters.
enum class ResizeFilter { kBilinear, kBicubic, kLanczos };

/// Resizes uint8 [H, W, C] to [out_h, out_w, C] exactly as PIL `Image.resize((out_w, out_h), f)`.
torch::Tensor resize_pil(const torch::Tensor& image, int64_t out_h, int64_t out_w,
                         ResizeFilter filter = ResizeFilter::kBicubic);

/// PIL NEAREST for labels, any dtype [H, W] or [H, W, C], by PIL's own arithmetic at any ratio
/// (pil_nearest_indices).
torch::Tensor resize_nearest_pil(const torch::Tensor& label, int64_t out_h, int64_t out_w);

/// The source index of each of `out` pixels resized from `in` as PIL's NEAREST picks it: the
/// centre of pixel i is scale / 2 + i scale summed in double precision one step at a time
/// (scale = in / out) and truncated, which is floor((i + 0.5) scale) except where the running
/// sum's rounding moves a tie.
torch::Tensor pil_nearest_indices(int64_t in, int64_t out);

}  // namespace lagm::io

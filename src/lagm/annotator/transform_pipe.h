// The reference's TransformPipe, applied jointly to generated images and
// annotator logits inside the loop: an optional wide crop (central 3/4 rows: 4:3 pictures in a
// square generator) and an optional resize with torch's legacy `nearest` (for images too, as the
// reference does; it reads `resize` as (H, W), and so does this).
#pragma once

#include <c10/util/Optional.h>
#include <torch/types.h>

#include <array>
#include <utility>

namespace lagm::annotator {

/// Options of `TransformPipe`.
struct TransformOptions {
  bool wide_crop = false;
  c10::optional<std::array<int64_t, 2>> resize;  ///< (H, W)
  bool is_identity() const { return !wide_crop && !resize; }
};

/// Square [.., H, W] -> rows [(H - c) / 2, (H + c) / 2) with c = floor(3H / 4); 4:3 input
/// unchanged. Throws InputError for other non-square inputs.
torch::Tensor wide_crop(const torch::Tensor& x);

/// (img [N, 3, H, W], y [N, K, H, W]) -> transformed pair.
std::pair<torch::Tensor, torch::Tensor> apply_transform(const TransformOptions& t,
                                                        const torch::Tensor& img,
                                                        const torch::Tensor& y);

/// Output (H, W) of the transform for a square generator of resolution r.
std::array<int64_t, 2> transformed_size(const TransformOptions& t, int64_t r);

}  // namespace lagm::annotator

// Bringing a network's prediction back to an image's own size. lagm interpolates the *logits*
// bilinearly (align_corners = false, PyTorch's F.interpolate) and takes the argmax at full size,
// rather than enlarging the label map by nearest neighbour: part boundaries then fall between the
// network's pixels where the scores cross, not on its 64-px staircase; and at the network's own
// resolution the two agree exactly. Rows are done in bands, so a 10,000-px photo needs
// K x band x width floats at a time, not K x its whole size.
#pragma once

#include <torch/types.h>

namespace lagm::predict {

/// Logits [K, h, w] (float, CPU) -> uint8 class indices [out_h, out_w]: argmax of the bilinearly
/// upsampled (or downsampled) logits. Sizes equal to the logits' = their plain argmax.
torch::Tensor upsampled_argmax(const torch::Tensor& logits, int64_t out_h, int64_t out_w);

/// The logits' bilinear resize to [K, out_h, out_w] for the rows [row_begin, row_end), as
/// F.interpolate(mode="bilinear", align_corners=false) computes them (its float arithmetic).
torch::Tensor bilinear_rows(const torch::Tensor& logits, int64_t out_h, int64_t out_w,
                            int64_t row_begin, int64_t row_end);

}  // namespace lagm::predict

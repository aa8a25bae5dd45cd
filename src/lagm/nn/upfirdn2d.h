// FIR resampling with the reference's upfirdn2d semantics: zero-insert up,
// pad/crop, filter (a true convolution with f scaled by gain), keep every down-th sample.
#pragma once

#include <torch/types.h>

#include <array>

namespace lagm::nn {

/// Padding [x0, x1, y0, y1]; negative values crop.
using Pad4 = std::array<int64_t, 4>;

/// x [N, C, H, W]; f 2-D [fh, fw] (or 1-D, applied separably); returns
/// [N, C, (H*up + py0 + py1 - fh + 1) / down (ceil), ...]. The filter is cast to x's dtype.
torch::Tensor upfirdn2d(const torch::Tensor& x, const torch::Tensor& f, int64_t up = 1,
                        int64_t down = 1, Pad4 pad = {0, 0, 0, 0}, bool flip_filter = false,
                        double gain = 1.0);

/// 2x up-sampling: upfirdn2d(x, f, up=2, pad=[p0+1, p1, ...], gain=4) with the filter's centring
/// (for F4: pad [2, 1, 2, 1]); [H] -> [2H].
torch::Tensor upsample2d(const torch::Tensor& x, const torch::Tensor& f);

/// 2x down-sampling: upfirdn2d(x, f, down=2, pad=[1, 1, 1, 1]) for F4; [H] -> [H/2].
torch::Tensor downsample2d(const torch::Tensor& x, const torch::Tensor& f);

/// The [1, 3, 3, 1] filter as the reference stores it: outer(k, k) / 64, [4, 4] float32.
torch::Tensor make_resample_filter();

}  // namespace lagm::nn

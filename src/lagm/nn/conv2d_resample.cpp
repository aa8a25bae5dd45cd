#include "lagm/nn/conv2d_resample.h"

#include <torch/torch.h>

#include "lagm/nn/upfirdn2d.h"

namespace lagm::nn {
namespace F = torch::nn::functional;

namespace {

torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& w, int64_t stride, int64_t pad, int64_t groups,
                   bool flip_weight) {
  auto ww = flip_weight ? w : w.flip({2, 3});
  return F::conv2d(x, ww.to(x.scalar_type()),
                   F::Conv2dFuncOptions().stride(stride).padding(pad).groups(groups));
}

}  // namespace

torch::Tensor conv2d_resample(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& f, int64_t up,
                              int64_t down, int64_t padding, int64_t groups, bool flip_weight, bool flip_filter) {
  TORCH_CHECK(x.dim() == 4 && w.dim() == 4, "conv2d_resample: x and w must be 4-D");
  const int64_t kh = w.size(2), kw = w.size(3);
  TORCH_CHECK(kh == kw, "conv2d_resample: square kernels only");
  if (up == 1 && down == 1) return conv(x, w, 1, padding, groups, flip_weight);
  TORCH_CHECK(f.defined(), "conv2d_resample: a FIR filter is required for resampling");
  const int64_t fw = f.size(-1);
  // Total padding of the equivalent form upfirdn2d(up, pad) -> conv2d(no pad) -> decimate.
  int64_t p0 = padding, p1 = padding;
  if (up > 1) p0 += (fw + up - 1) / 2, p1 += (fw - up) / 2;
  if (down > 1) p0 += (fw - down + 1) / 2, p1 += (fw - down) / 2;

  if (kw == 1 && up == 1) {  // 1x1 down: filter and decimate first, then the cheap conv
    auto y = upfirdn2d(x, f, 1, down, {p0, p1, p0, p1}, flip_filter);
    return conv(y, w, 1, 0, groups, flip_weight);
  }
  if (kw == 1 && down == 1) {  // 1x1 up: conv at low resolution, then up-sample
    auto y = conv(x, w, 1, 0, groups, flip_weight);
    return upfirdn2d(y, f, up, 1, {p0, p1, p0, p1}, flip_filter, static_cast<double>(up * up));
  }
  if (up == 1) {  // down only: filter, then strided conv
    auto y = upfirdn2d(x, f, 1, 1, {p0, p1, p0, p1}, flip_filter);
    return conv(y, w, down, 0, groups, flip_weight);
  }
  // Up-sampling with a k>1 kernel: transposed conv (stride up) does the zero-insertion and the
  // kernel in one step; the FIR filter then runs on the result with the remaining padding.
  torch::Tensor wt;
  if (groups == 1) {
    wt = w.transpose(0, 1);
  } else {
    const int64_t o = w.size(0), i = w.size(1);
    wt = w.reshape({groups, o / groups, i, kh, kw}).transpose(1, 2).reshape({groups * i, o / groups, kh, kw});
  }
  p0 -= kw - 1;
  p1 -= kw - up;
  const int64_t pt = std::max<int64_t>(std::min(-p0, -p1), 0);
  // conv_transpose2d applies its kernel as a true convolution, so flip_weight inverts here.
  auto wtt = flip_weight ? wt.flip({2, 3}) : wt;
  auto y = F::conv_transpose2d(x, wtt.to(x.scalar_type()),
                               F::ConvTranspose2dFuncOptions().stride(up).padding(pt).groups(groups));
  y = upfirdn2d(y, f, 1, 1, {p0 + pt, p1 + pt, p0 + pt, p1 + pt}, flip_filter, static_cast<double>(up * up));
  if (down > 1) y = upfirdn2d(y, f, 1, down, {0, 0, 0, 0}, flip_filter);
  return y;
}

}  // namespace lagm::nn

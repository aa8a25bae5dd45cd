#include "lagm/nn/conv2d_resample.h"

#include <torch/torch.h>

#include "lagm/nn/upfirdn2d.h"

namespace lagm::nn {
namespace F = torch::nn::functional;

namespace {

torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& w, int64_t stride, int64_t pad,
                   int64_t groups, bool flip_weight) {
  auto ww = flip_weight ? w : w.flip({2, 3});
  return F::conv2d(x, ww.to(x.scalar_type()),
                   F::Conv2dFuncOptions().stride(stride).padding(pad).groups(groups));
}

}  // namespace

std::vector<torch::Tensor> polyphase_kernels(const torch::Tensor& taps, int64_t s, bool flipped) {
  TORCH_CHECK(taps.dim() == 4 && s >= 1, "polyphase_kernels: bad arguments");
  const int64_t kh = taps.size(2), kw = taps.size(3);
  const auto flat = taps.reshape({taps.size(0), taps.size(1), kh * kw});
  std::vector<torch::Tensor> kernels;
  for (int64_t a = 0; a < s; ++a) {
    for (int64_t b = 0; b < s; ++b) {
      // Output (s*i + a, s*j + b) gathers taps ky = a + m*s, kx = b + l*s from x[i - m, j - l]: a
      // true convolution with those taps, i.e. a correlation with them reversed. One gather per
      // phase: LibTorch 1.13's flip and strided copies of [.., k, k] kernels on the CPU cost
      // 15-40x a plain copy of the same floats (measured), and the generator's fused kernels are
      // [N*O, I, 3, 3].
      const int64_t mh = (kh - a + s - 1) / s, mw = (kw - b + s - 1) / s;
      if (mh <= 0 || mw <= 0) {
        kernels.emplace_back();
        continue;
      }
      std::vector<int64_t> index;
      for (int64_t m = mh - 1; m >= 0; --m) {
        for (int64_t l = mw - 1; l >= 0; --l) {
          const int64_t ky = a + m * s, kx = b + l * s;
          index.push_back(flipped ? (kh - 1 - ky) * kw + (kw - 1 - kx) : ky * kw + kx);
        }
      }
      const auto at = torch::tensor(index, torch::dtype(torch::kLong).device(taps.device()));
      kernels.push_back(flat.index_select(2, at).view({taps.size(0), taps.size(1), mh, mw}));
    }
  }
  return kernels;
}

namespace {

// The transposed convolution whose taps, in convolution layout [g*O, I, k, k], are `taps` (or
// `taps` reversed in both spatial axes when `flipped`), as s^2 convolutions interleaved.
torch::Tensor transposed_conv_polyphase(const torch::Tensor& x, const torch::Tensor& taps,
                                        bool flipped, int64_t s, int64_t padding, int64_t groups) {
  const int64_t n = x.size(0), h = x.size(2), wd = x.size(3), kh = taps.size(2), kw = taps.size(3),
                channels = taps.size(0);
  const int64_t full_h = (h - 1) * s + kh, full_w = (wd - 1) * s + kw;  // before cropping `padding`
  const int64_t q = (full_h + s - 1) / s,
                r = (full_w + s - 1) / s;  // rows / columns per phase (padded)
  const auto kernels = polyphase_kernels(taps, s, flipped);
  std::vector<torch::Tensor> rows;
  for (int64_t a = 0; a < s; ++a) {
    std::vector<torch::Tensor> cols;
    for (int64_t b = 0; b < s; ++b) {
      const auto& sub = kernels[static_cast<size_t>(a * s + b)];
      torch::Tensor y;
      if (!sub.defined()) {
        y = torch::zeros({n, channels, q, r}, x.options());
      } else {
        // "Full" padding: every tap that reaches an output of this phase.
        y = F::conv2d(
            x, sub.to(x.scalar_type()),
            F::Conv2dFuncOptions().padding({sub.size(2) - 1, sub.size(3) - 1}).groups(groups));
        y = F::pad(y, F::PadFuncOptions({0, r - y.size(3), 0, q - y.size(2)}));
      }
      cols.push_back(y);
    }
    rows.push_back(torch::stack(cols, -1));  // [N, C, q, r, s]
  }
  auto y = torch::stack(rows, 3).reshape({n, channels, q * s, r * s});  // [N, C, q, s(a), r, s(b)]
  return y.narrow(2, padding, full_h - 2 * padding).narrow(3, padding, full_w - 2 * padding);
}

}  // namespace

torch::Tensor conv_transpose2d_polyphase(const torch::Tensor& x, const torch::Tensor& w, int64_t s,
                                         int64_t padding, int64_t groups) {
  TORCH_CHECK(x.dim() == 4 && w.dim() == 4 && s >= 1, "conv_transpose2d_polyphase: bad arguments");
  const int64_t kh = w.size(2), kw = w.size(3);
  const int64_t in_g = w.size(0) / groups, out_g = w.size(1);
  // Transposed-conv weight [g*I, O, k, k] -> conv weight [g*O, I, k, k].
  const auto taps = w.reshape({groups, in_g, out_g, kh, kw})
                        .transpose(1, 2)
                        .reshape({groups * out_g, in_g, kh, kw});
  return transposed_conv_polyphase(x, taps, /*flipped=*/false, s, padding, groups);
}

torch::Tensor conv2d_resample(const torch::Tensor& x, const torch::Tensor& w,
                              const torch::Tensor& f, int64_t up, int64_t down, int64_t padding,
                              int64_t groups, bool flip_weight, bool flip_filter) {
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
  // conv_transpose2d applies its kernel as a true convolution, so flip_weight inverts here.
  p0 -= kw - 1;
  p1 -= kw - up;
  const int64_t pt = std::max<int64_t>(std::min(-p0, -p1), 0);
  torch::Tensor y;
  if (x.device().is_cpu()) {
    // w is already in convolution layout: no transposition there and back.
    y = transposed_conv_polyphase(x, w, /*flipped=*/flip_weight, up, pt, groups);
  } else {
    torch::Tensor wt;
    if (groups == 1) {
      wt = w.transpose(0, 1);
    } else {
      const int64_t o = w.size(0), i = w.size(1);
      wt = w.reshape({groups, o / groups, i, kh, kw})
               .transpose(1, 2)
               .reshape({groups * i, o / groups, kh, kw});
    }
    auto wtt = flip_weight ? wt.flip({2, 3}) : wt;
    y = F::conv_transpose2d(x, wtt.to(x.scalar_type()),
                            F::ConvTranspose2dFuncOptions().stride(up).padding(pt).groups(groups));
  }
  y = upfirdn2d(y, f, 1, 1, {p0 + pt, p1 + pt, p0 + pt, p1 + pt}, flip_filter,
                static_cast<double>(up * up));
  if (down > 1) y = upfirdn2d(y, f, 1, down, {0, 0, 0, 0}, flip_filter);
  return y;
}

}  // namespace lagm::nn

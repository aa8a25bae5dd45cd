#include "lagm/nn/upfirdn2d.h"

#include <torch/torch.h>

namespace lagm::nn {
namespace F = torch::nn::functional;

torch::Tensor make_resample_filter() {
  auto k = torch::tensor({1.0f, 3.0f, 3.0f, 1.0f});
  auto f = torch::outer(k, k);
  return f / f.sum();
}

torch::Tensor upfirdn2d(const torch::Tensor& x, const torch::Tensor& f, int64_t up, int64_t down,
                        Pad4 pad, bool flip_filter, double gain) {
  TORCH_CHECK(x.dim() == 4, "upfirdn2d: x must be [N, C, H, W], got ", x.sizes());
  TORCH_CHECK(f.dim() == 1 || f.dim() == 2, "upfirdn2d: filter must be 1-D or 2-D");
  TORCH_CHECK(up >= 1 && down >= 1, "upfirdn2d: up and down must be >= 1");
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  auto y = x;
  // 1. Zero-insertion: each sample followed by up-1 zeros in both axes.
  if (up > 1) {
    y = y.reshape({n, c, h, 1, w, 1});
    y = F::pad(y, F::PadFuncOptions({0, up - 1, 0, 0, 0, up - 1}));
    y = y.reshape({n, c, h * up, w * up});
  }
  // 2. Pad with zeros, then crop where the padding is negative.
  y = F::pad(y, F::PadFuncOptions({std::max<int64_t>(pad[0], 0), std::max<int64_t>(pad[1], 0),
                                   std::max<int64_t>(pad[2], 0), std::max<int64_t>(pad[3], 0)}));
  y = y.slice(2, std::max<int64_t>(-pad[2], 0), y.size(2) - std::max<int64_t>(-pad[3], 0));
  y = y.slice(3, std::max<int64_t>(-pad[0], 0), y.size(3) - std::max<int64_t>(-pad[1], 0));
  // 3. Depthwise filter. conv2d correlates, so the filter is flipped to make a true convolution.
  auto filt = f.to(y.device(), y.scalar_type()) * std::pow(gain, f.dim() / 2.0);
  if (!flip_filter)
    filt = filt.flip(f.dim() == 2 ? std::vector<int64_t>{0, 1} : std::vector<int64_t>{0});
  if (f.dim() == 2) {
    auto weight = filt.view({1, 1, filt.size(0), filt.size(1)}).expand({c, 1, -1, -1});
    y = F::conv2d(y, weight, F::Conv2dFuncOptions().groups(c));
  } else {
    auto wx = filt.view({1, 1, 1, -1}).expand({c, 1, 1, -1});
    auto wy = filt.view({1, 1, -1, 1}).expand({c, 1, -1, 1});
    y = F::conv2d(y, wx, F::Conv2dFuncOptions().groups(c));
    y = F::conv2d(y, wy, F::Conv2dFuncOptions().groups(c));
  }
  // 4. Decimation.
  if (down > 1) y = y.slice(2, 0, c10::nullopt, down).slice(3, 0, c10::nullopt, down);
  return y;
}

namespace {
int64_t filter_width(const torch::Tensor& f) { return f.size(-1); }
}  // namespace

torch::Tensor upsample2d(const torch::Tensor& x, const torch::Tensor& f) {
  const int64_t fw = filter_width(f);
  const int64_t p0 = (fw + 2 - 1) / 2, p1 = (fw - 2) / 2;
  return upfirdn2d(x, f, 2, 1, {p0, p1, p0, p1}, false, 4.0);
}

torch::Tensor downsample2d(const torch::Tensor& x, const torch::Tensor& f) {
  const int64_t fw = filter_width(f);
  const int64_t p0 = (fw - 2 + 1) / 2, p1 = (fw - 2) / 2;
  return upfirdn2d(x, f, 1, 2, {p0, p1, p0, p1}, false, 1.0);
}

}  // namespace lagm::nn

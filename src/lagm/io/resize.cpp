#include "lagm/io/resize.h"

#include <cmath>
#include <vector>

#include "lagm/core/error.h"

namespace lagm::io {
namespace {

// PIL's fixed-point precision for 8-bit images: 32 bits minus 8 for the value minus 2 of headroom.
constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic_filter(double x) {
  constexpr double a = -0.5;  // PIL's bicubic parameter
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double bilinear_filter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}

double lanczos_filter(double x) {
  if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
  return 0.0;
}

struct Coefficients {
  int ksize = 0;
  std::vector<int> bounds;       // per output: first input index, count
  std::vector<int32_t> weights;  // [out, ksize] fixed point
};

// The per-output-sample filter taps, normalised to sum 1 and rounded to fixed point as PIL does.
Coefficients precompute(int in_size, int out_size, ResizeFilter filter) {
  double (*fn)(double) = bicubic_filter;
  double support = 2.0;
  if (filter == ResizeFilter::kBilinear) fn = bilinear_filter, support = 1.0;
  if (filter == ResizeFilter::kLanczos) fn = lanczos_filter, support = 3.0;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  support *= filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(2 * out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    // PIL's bounds: (int)(x + 0.5), truncation toward zero, not lround; kept for exactness.
    int xmin = static_cast<int>(center - support + 0.5);  // NOLINT(bugprone-incorrect-roundings)
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);  // NOLINT(bugprone-incorrect-roundings)
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = fn((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = ww != 0.0 ? k[x] / ww : k[x];
      // Round half away from zero into fixed point.
      c.weights[static_cast<size_t>(xx) * c.ksize + x] = static_cast<int32_t>(
          w < 0 ? -0.5 + w * (1 << kPrecisionBits) : 0.5 + w * (1 << kPrecisionBits));
    }
    c.bounds[2 * xx] = xmin;
    c.bounds[2 * xx + 1] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t ss) {
  const int32_t v = ss >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// One pass along `axis` (1 = width, 0 = height) of a contiguous [H, W, C] uint8 image.
torch::Tensor resample_axis(const torch::Tensor& in, int axis, int out_size, ResizeFilter filter) {
  const int h = static_cast<int>(in.size(0)), w = static_cast<int>(in.size(1)),
            ch = static_cast<int>(in.size(2));
  const int in_size = axis == 1 ? w : h;
  const Coefficients c = precompute(in_size, out_size, filter);
  auto out = torch::empty({axis == 0 ? out_size : h, axis == 1 ? out_size : w, ch}, torch::kUInt8);
  const uint8_t* src = in.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  const int out_w = static_cast<int>(out.size(1));
  const int outer = axis == 1 ? h : out_size;
  const int inner = axis == 1 ? out_size : w;
  for (int o = 0; o < outer; ++o) {
    for (int i = 0; i < inner; ++i) {
      const int xx = axis == 1 ? i : o;  // index of the output sample along the axis
      const int xmin = c.bounds[2 * xx], xmax = c.bounds[2 * xx + 1];
      const int32_t* k = &c.weights[static_cast<size_t>(xx) * c.ksize];
      for (int cc = 0; cc < ch; ++cc) {
        int32_t ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < xmax; ++x) {
          const int64_t idx = axis == 1 ? (static_cast<int64_t>(o) * w + xmin + x) * ch + cc
                                        : (static_cast<int64_t>(xmin + x) * w + i) * ch + cc;
          ss += src[idx] * k[x];
        }
        dst[(static_cast<int64_t>(o) * out_w + i) * ch + cc] = clip8(ss);
      }
    }
  }
  return out;
}

}  // namespace

torch::Tensor resize_pil(const torch::Tensor& image, int64_t out_h, int64_t out_w,
                         ResizeFilter filter) {
  if (image.scalar_type() != torch::kUInt8 || image.dim() != 3)
    throw Error("resize_pil expects uint8 [H, W, C], got " + format_shape(image.sizes().vec()));
  if (out_h <= 0 || out_w <= 0) throw Error("resize_pil: output size must be positive");
  auto x = image.to(torch::kCPU).contiguous();
  // PIL: horizontal pass first (into an 8-bit image), then vertical; a pass at equal size is
  // skipped.
  if (out_w != x.size(1)) x = resample_axis(x, 1, static_cast<int>(out_w), filter);
  if (out_h != x.size(0)) x = resample_axis(x, 0, static_cast<int>(out_h), filter);
  return x;
}

torch::Tensor pil_nearest_indices(int64_t in, int64_t out) {
  // PIL resizes with NEAREST through its affine transform, which starts at the first pixel's
  // centre, scale / 2, and *adds* the scale once per pixel in double precision, truncating each
  // sum. The accumulated rounding moves exact ties: 512 -> 96 maps pixel 4 to 23 (the sum is
  // 23.999...), not to floor(4.5 * 512 / 96) = 24; 512 -> 5 maps pixel 2 to 256. Computed here the
  // same way, sum by sum.
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  auto index = torch::empty({out}, torch::kInt64);
  auto* p = index.data_ptr<int64_t>();
  double position = scale * 0.5;
  for (int64_t i = 0; i < out; ++i, position += scale)
    p[i] = std::min<int64_t>(in - 1, std::max<int64_t>(0, static_cast<int64_t>(position)));
  return index;
}

torch::Tensor resize_nearest_pil(const torch::Tensor& label, int64_t out_h, int64_t out_w) {
  if (label.dim() != 2 && label.dim() != 3)
    throw Error("resize_nearest_pil expects [H, W] or [H, W, C], got " +
                format_shape(label.sizes().vec()));
  const auto rows = pil_nearest_indices(label.size(0), out_h);
  const auto cols = pil_nearest_indices(label.size(1), out_w);
  auto dev = label.device();
  return label.index_select(0, rows.to(dev)).index_select(1, cols.to(dev));
}

}  // namespace lagm::io

#include "lagm/predict/label_upsampling.h"

#include <torch/torch.h>

#include <algorithm>

#include "lagm/core/error.h"

namespace lagm::predict {
namespace {

// One axis of PyTorch's bilinear resize with align_corners = false: for each output position, the
// two source indices and their weights. The float arithmetic is PyTorch's own
// (area_pixel_compute_source_index with scale = in / out), so that the weights are the same bits.
struct AxisWeights {
  torch::Tensor index0, index1;    // int64 [n]
  torch::Tensor weight0, weight1;  // float [n]
};

AxisWeights axis_weights(int64_t in, int64_t out, int64_t begin, int64_t end) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const int64_t n = end - begin;
  AxisWeights a{torch::empty({n}, torch::kInt64), torch::empty({n}, torch::kInt64),
                torch::empty({n}, torch::kFloat), torch::empty({n}, torch::kFloat)};
  auto* i0 = a.index0.data_ptr<int64_t>();
  auto* i1 = a.index1.data_ptr<int64_t>();
  auto* w0 = a.weight0.data_ptr<float>();
  auto* w1 = a.weight1.data_ptr<float>();
  for (int64_t k = 0; k < n; ++k) {
    const float real = std::max(scale * (static_cast<float>(begin + k) + 0.5f) - 0.5f, 0.0f);
    const int64_t low = std::min(static_cast<int64_t>(real), in - 1);
    i0[k] = low;
    i1[k] = low + (low < in - 1 ? 1 : 0);
    w1[k] = real - static_cast<float>(low);
    w0[k] = 1.0f - w1[k];
  }
  return a;
}

}  // namespace

torch::Tensor bilinear_rows(const torch::Tensor& logits, int64_t out_h, int64_t out_w,
                            int64_t row_begin, int64_t row_end) {
  const int64_t in_h = logits.size(1), in_w = logits.size(2);
  const auto rows = axis_weights(in_h, out_h, row_begin, row_end);
  const auto cols = axis_weights(in_w, out_w, 0, out_w);
  // Columns first, on the source rows this band needs: [K, 2 bands of rows, out_w].
  auto horizontal = [&](const torch::Tensor& source_rows) {
    auto x = logits.index_select(1, source_rows);
    return x.index_select(2, cols.index0) * cols.weight0.view({1, 1, -1}) +
           x.index_select(2, cols.index1) * cols.weight1.view({1, 1, -1});
  };
  const auto top = horizontal(rows.index0), bottom = horizontal(rows.index1);
  const int64_t n = row_end - row_begin;
  return top * rows.weight0.view({1, n, 1}) + bottom * rows.weight1.view({1, n, 1});
}

torch::Tensor upsampled_argmax(const torch::Tensor& logits, int64_t out_h, int64_t out_w) {
  if (logits.dim() != 3 || !logits.is_floating_point())
    throw Error("upsampled_argmax: expects float logits [K, h, w], got " +
                format_shape(logits.sizes().vec()));
  const auto source = logits.to(torch::kCPU, torch::kFloat).contiguous();
  if (out_h == source.size(1) && out_w == source.size(2)) return source.argmax(0).to(torch::kUInt8);
  auto labels = torch::empty({out_h, out_w}, torch::kUInt8);
  // About 16 M floats per band (64 MB), whatever the image's size.
  const int64_t band =
      std::max<int64_t>(1, (int64_t{1} << 24) / std::max<int64_t>(1, source.size(0) * out_w));
  for (int64_t r = 0; r < out_h; r += band) {
    const int64_t end = std::min(out_h, r + band);
    labels.narrow(0, r, end - r).copy_(bilinear_rows(source, out_h, out_w, r, end).argmax(0));
  }
  return labels;
}

}  // namespace lagm::predict

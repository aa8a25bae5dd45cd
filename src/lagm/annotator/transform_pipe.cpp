#include "lagm/annotator/transform_pipe.h"

#include <torch/torch.h>

#include "lagm/core/error.h"

namespace lagm::annotator {
namespace F = torch::nn::functional;

torch::Tensor wide_crop(const torch::Tensor& x) {
  const int64_t h = x.size(-2), w = x.size(-1);
  if (h != w) {
    if ((w * 3) / 4 != h)
      throw InputError("wide crop: a non-square image must be 4:3, got " + std::to_string(w) + "x" +
                       std::to_string(h));
    return x;
  }
  const int64_t c = (h * 3) / 4;
  return x.narrow(-2, (h - c) / 2, c);
}

std::pair<torch::Tensor, torch::Tensor> apply_transform(const TransformOptions& t,
                                                        const torch::Tensor& img,
                                                        const torch::Tensor& y) {
  auto a = img, b = y;
  if (t.wide_crop) a = wide_crop(a), b = wide_crop(b);
  if (t.resize && (a.size(2) != (*t.resize)[0] || a.size(3) != (*t.resize)[1])) {
    const auto opts = F::InterpolateFuncOptions()
                          .size(std::vector<int64_t>{(*t.resize)[0], (*t.resize)[1]})
                          .mode(torch::kNearest);
    a = F::interpolate(a, opts);
    b = F::interpolate(b, opts);
  }
  return {a, b};
}

std::array<int64_t, 2> transformed_size(const TransformOptions& t, int64_t r) {
  std::array<int64_t, 2> hw = {r, r};
  if (t.wide_crop) hw[0] = (r * 3) / 4;
  if (t.resize) hw = *t.resize;
  return hw;
}

}  // namespace lagm::annotator

#include "lagm/data/augmentation.h"

#include <torch/torch.h>

#include <algorithm>
#include <vector>

namespace lagm::data {
namespace F = torch::nn::functional;

std::pair<torch::Tensor, torch::Tensor> augment_batch(torch::Tensor x, torch::Tensor y,
                                                      const Augmentation& c) {
  if (c.flip) {
    auto flip = torch::rand({x.size(0)}) < 0.5;
    for (int64_t i = 0; i < x.size(0); ++i)
      if (flip[i].item<bool>()) x[i] = x[i].flip({2}), y[i] = y[i].flip({1});
  }
  if (c.scale_crop) {
    const int64_t h = x.size(2), w = x.size(3);
    const double s = 0.75 + 0.5 * torch::rand({1}).item<double>();
    const int64_t nh = std::max<int64_t>(8, static_cast<int64_t>(h * s)),
                  nw = std::max<int64_t>(8, static_cast<int64_t>(w * s));
    auto xs = F::interpolate(x, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{nh, nw})
                                    .mode(torch::kBilinear)
                                    .align_corners(false));
    auto ys =
        F::interpolate(
            y.unsqueeze(1).to(torch::kFloat32),
            F::InterpolateFuncOptions().size(std::vector<int64_t>{nh, nw}).mode(torch::kNearest))
            .squeeze(1)
            .to(torch::kInt64);
    // Pad (ignore label) or crop back to h x w at a random offset.
    auto px = torch::full({x.size(0), 3, std::max(h, nh), std::max(w, nw)}, -1.0f);
    auto py = torch::full({x.size(0), std::max(h, nh), std::max(w, nw)}, 255, torch::kInt64);
    px.narrow(2, 0, nh).narrow(3, 0, nw).copy_(xs);
    py.narrow(1, 0, nh).narrow(2, 0, nw).copy_(ys);
    const int64_t oy =
        torch::randint(0, std::max<int64_t>(1, px.size(2) - h + 1), {1}).item<int64_t>();
    const int64_t ox =
        torch::randint(0, std::max<int64_t>(1, px.size(3) - w + 1), {1}).item<int64_t>();
    x = px.narrow(2, oy, h).narrow(3, ox, w).contiguous();
    y = py.narrow(1, oy, h).narrow(2, ox, w).contiguous();
  }
  if (c.color_jitter) {
    // On [0, 1] colours: brightness scale, contrast about the image mean, saturation about gray.
    const int64_t n = x.size(0);
    auto u = (x + 1) / 2;
    auto brightness = (0.75 + 0.5 * torch::rand({n, 1, 1, 1}));
    auto contrast = (0.75 + 0.5 * torch::rand({n, 1, 1, 1}));
    auto saturation = (0.75 + 0.5 * torch::rand({n, 1, 1, 1}));
    u = u * brightness;
    const auto mean = u.mean({1, 2, 3}, true);
    u = (u - mean) * contrast + mean;
    const auto gray = u.mean(1, true);
    u = (u - gray) * saturation + gray;
    x = u.clamp(0, 1) * 2 - 1;
  }
  return {x, y};
}

}  // namespace lagm::data

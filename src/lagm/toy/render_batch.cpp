#include "lagm/toy/render_batch.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cstring>

namespace lagm::toy {

RenderedBatch render_batch(const Domain& domain, Style style, int64_t resolution,
                           const std::vector<uint64_t>& seeds) {
  const auto n = static_cast<int64_t>(seeds.size());
  RenderedBatch out;
  out.images_u8 = torch::empty({n, resolution, resolution, 3}, torch::kUInt8);
  out.labels = torch::empty({n, resolution, resolution}, torch::kUInt8);
  auto* img = out.images_u8.data_ptr<uint8_t>();
  auto* lab = out.labels.data_ptr<uint8_t>();
  const int64_t pixels = resolution * resolution;
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const RenderedImage r = domain.render(seeds[static_cast<size_t>(i)], style, resolution);
      std::memcpy(img + i * pixels * 3, r.rgb.data(), r.rgb.size());
      std::memcpy(lab + i * pixels, r.labels.data(), r.labels.size());
    }
  });
  return out;
}

torch::Tensor to_network_input(const torch::Tensor& images_u8) {
  return images_u8.permute({0, 3, 1, 2}).to(torch::kFloat32).div(127.5).sub(1.0).contiguous();
}

}  // namespace lagm::toy

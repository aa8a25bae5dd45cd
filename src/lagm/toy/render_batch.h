// Procedural renders as tensors: what the GAN trainer, `lagm render` and the demo consume.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "lagm/toy/domain.h"

namespace lagm::toy {

struct RenderedBatch {
  torch::Tensor images_u8;  ///< uint8 [B, H, W, 3]
  torch::Tensor labels;     ///< uint8 [B, H, W]
};

/// Renders one image per seed, in parallel over LibTorch's intra-op threads (deterministic: every
/// image depends only on its seed).
RenderedBatch render_batch(const Domain& domain, Style style, int64_t resolution,
                           const std::vector<uint64_t>& seeds);

/// uint8 [B, H, W, 3] -> float [B, 3, H, W] in [-1, 1] (x / 127.5 - 1, the reference's scaling).
torch::Tensor to_network_input(const torch::Tensor& images_u8);

}  // namespace lagm::toy

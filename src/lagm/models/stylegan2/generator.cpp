#include "lagm/models/stylegan2/generator.h"

#include <torch/torch.h>

namespace lagm::models::stylegan2 {

SynthesisNetworkImpl::SynthesisNetworkImpl(const GeneratorOptions& o) : w_dim(o.w_dim) {
  for (int64_t res = 4; res <= o.img_resolution; res *= 2) block_resolutions.push_back(res);
  num_ws = 0;
  for (int64_t res : block_resolutions) {
    const int64_t in = res > 4 ? o.channels_at(res / 2) : 0;
    const bool is_last = res == o.img_resolution;
    auto block = register_module("b" + std::to_string(res),
                                 SynthesisBlock(o, in, o.channels_at(res), res, is_last));
    num_ws += block->num_conv;
    if (is_last) num_ws += block->num_torgb;
    blocks.push_back(block);
  }
}

SynthesisOutput SynthesisNetworkImpl::forward(const torch::Tensor& ws_in, NoiseMode noise_mode,
                                              bool force_fp32, c10::optional<bool> fused_modconv,
                                              bool bf16, bool bf16_features) {
  TORCH_CHECK(ws_in.dim() == 3 && ws_in.size(1) == num_ws && ws_in.size(2) == w_dim,
              "SynthesisNetwork.ws must be [N, ", num_ws, ", ", w_dim, "], got ", ws_in.sizes());
  auto ws = ws_in.to(torch::kFloat32);
  SynthesisOutput out;
  torch::Tensor x, img;
  int64_t w_idx = 0;
  for (auto& block : blocks) {
    // Consecutive blocks share one w: a block's ToRGB uses the same w as the next block's conv0.
    auto block_ws = ws.narrow(1, w_idx, block->num_conv + block->num_torgb);
    w_idx += block->num_conv;
    auto r = block->forward(x, img, block_ws, noise_mode, force_fp32, fused_modconv, bf16);
    x = r.x;
    img = r.img;
    out.features.push_back(bf16 && bf16_features ? x : x.to(torch::kFloat32));
    out.block_images.push_back(img);
  }
  out.img = img;
  return out;
}

GeneratorImpl::GeneratorImpl(GeneratorOptions options_) : options(options_) {
  synthesis = register_module("synthesis", SynthesisNetwork(options));
  mapping = register_module("mapping", MappingNetwork(options));
}

GeneratorOutput GeneratorImpl::forward(const torch::Tensor& z, const GenerateOptions& o) {
  GeneratorOutput out;
  out.ws = mapping->forward(z, o.truncation);
  out.synthesis = synthesis->forward(out.ws, o.noise_mode, o.force_fp32, o.fused_modconv, o.bf16,
                                     o.bf16_features);
  return out;
}

}  // namespace lagm::models::stylegan2

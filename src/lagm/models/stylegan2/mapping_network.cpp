#include "lagm/models/stylegan2/mapping_network.h"

#include <torch/torch.h>

#include "lagm/core/squared.h"

namespace lagm::models::stylegan2 {

MappingNetworkImpl::MappingNetworkImpl(const GeneratorOptions& o)
    : num_layers(o.mapping.num_layers),
      num_ws(o.num_ws()),
      z_dim(o.z_dim),
      w_dim(o.w_dim),
      w_avg_beta_(o.mapping.w_avg_beta) {
  // Registration order gives the reference's state-dict order: w_avg before fc0..fcL-1.
  if (w_avg_beta_) w_avg = register_buffer("w_avg", torch::zeros({w_dim}));
  const int64_t layer_features = o.mapping.layer_features.value_or(w_dim);
  for (int64_t i = 0; i < num_layers; ++i) {
    const int64_t in = i == 0 ? z_dim : layer_features;
    const int64_t out = i == num_layers - 1 ? w_dim : layer_features;
    fc.push_back(
        register_module("fc" + std::to_string(i),
                        nn::FullyConnectedLayer(nn::FullyConnectedLayerOptions(in, out)
                                                    .activation(o.mapping.activation)
                                                    .lr_multiplier(o.mapping.lr_multiplier))));
  }
}

torch::Tensor MappingNetworkImpl::forward(const torch::Tensor& z_in, const Truncation& truncation) {
  TORCH_CHECK(z_in.dim() == 2 && z_in.size(1) == z_dim, "MappingNetwork.z must be [N, ", z_dim,
              "], got ", z_in.sizes());
  auto z = z_in.to(torch::kFloat32);
  auto x = z * (core::squared(z).mean(1, /*keepdim=*/true) + 1e-8).rsqrt();
  for (auto& layer : fc) x = layer->forward(x);
  if (is_training() && w_avg_beta_) {
    torch::NoGradGuard no_grad;
    w_avg.copy_(torch::lerp(x.detach().to(w_avg.scalar_type()).mean(0), w_avg,
                            *w_avg_beta_));  // x is bf16 under autocast
  }
  auto ws = x.unsqueeze(1).repeat({1, num_ws, 1});
  if (truncation.psi != 1.0) {
    TORCH_CHECK(w_avg.defined(), "truncation needs w_avg (w_avg_beta is None)");
    const int64_t cutoff = std::min(truncation.cutoff.value_or(num_ws), num_ws);
    auto head = torch::lerp(w_avg.view({1, 1, -1}), ws.narrow(1, 0, cutoff), truncation.psi);
    ws = cutoff == num_ws ? head : torch::cat({head, ws.narrow(1, cutoff, num_ws - cutoff)}, 1);
  }
  return ws;
}

}  // namespace lagm::models::stylegan2

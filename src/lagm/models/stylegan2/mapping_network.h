// StyleGAN2 mapping network z -> ws with truncation.
#pragma once

#include <c10/util/Optional.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "lagm/models/stylegan2/generator_options.h"
#include "lagm/nn/fully_connected_layer.h"

namespace lagm::models::stylegan2 {

/// Truncation trick: ws[:, :cutoff] = lerp(w_avg, ws, psi); psi = 1 is an exact no-op.
struct Truncation {
  double psi = 1.0;
  c10::optional<int64_t> cutoff;  ///< number of ws indices to truncate; nullopt = all
};

/// z [N, z_dim] -> ws [N, num_ws, w_dim].
class MappingNetworkImpl : public torch::nn::Module {
 public:
  MappingNetworkImpl(const GeneratorOptions& options);
  torch::Tensor forward(const torch::Tensor& z, const Truncation& truncation = {});

  int64_t num_layers, num_ws, z_dim, w_dim;
  std::vector<nn::FullyConnectedLayer> fc;  // "fc0" .. "fc{L-1}"
  torch::Tensor w_avg;                      // buffer "w_avg" [w_dim]

 private:
  c10::optional<double> w_avg_beta_;
};
TORCH_MODULE(MappingNetwork);

}  // namespace lagm::models::stylegan2

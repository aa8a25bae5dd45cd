// The StyleGAN2 / StyleGAN2-ADA discriminator (stylegan2-ada-pytorch `Discriminator`, 'resnet'
// architecture, unconditional): blocks b{R} .. b8 halve the resolution, the epilogue b4 appends
// the minibatch standard deviation and maps to one logit. Parameter names equal the reference's
// (b64.fromrgb.weight, b64.conv0.weight, b64.skip.weight, b4.conv.weight, b4.fc.weight,
// b4.out.weight, ...), so a D converted from an ADA pickle loads and trained ones export.
#pragma once

#include <c10/util/Optional.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/nn/conv2d_layer.h"
#include "lagm/nn/fully_connected_layer.h"

namespace lagm::gan {

/// Discriminator(c_dim=0, img_resolution, img_channels, architecture='resnet', channel_base,
/// channel_max, conv_clamp, epilogue_kwargs={mbstd_group_size, mbstd_num_channels}).
struct DiscriminatorOptions {
  int64_t img_resolution = 64, img_channels = 3;
  int64_t channel_base = 32768, channel_max = 512;
  c10::optional<double> conv_clamp;
  int64_t mbstd_group_size = 4, mbstd_num_channels = 1;

  /// min(channel_base / res, channel_max).
  int64_t channels_at(int64_t res) const;
};

DiscriminatorOptions discriminator_options_from_json(const nlohmann::json& j,
                                                     const std::string& where);
nlohmann::json to_json(const DiscriminatorOptions& o);

/// One resnet block at resolution `res`: [fromrgb] conv0 3x3, conv1 3x3 down 2, skip 1x1 down 2.
class DiscriminatorBlockImpl : public torch::nn::Module {
 public:
  DiscriminatorBlockImpl(int64_t in_channels, int64_t tmp_channels, int64_t out_channels,
                         const DiscriminatorOptions& options);
  /// x: features from the previous block (undefined for the first); img: the image.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& img);

  nn::Conv2dLayer fromrgb{nullptr}, conv0{nullptr}, conv1{nullptr}, skip{nullptr};
};
TORCH_MODULE(DiscriminatorBlock);

/// Appends the per-group standard deviation, averaged over channels and pixels, as extra channels.
torch::Tensor minibatch_stddev(const torch::Tensor& x, int64_t group_size, int64_t num_channels);

/// b4: mbstd, conv 3x3, fc (C*16 -> C), out (C -> 1).
class DiscriminatorEpilogueImpl : public torch::nn::Module {
 public:
  DiscriminatorEpilogueImpl(int64_t in_channels, const DiscriminatorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);

  nn::Conv2dLayer conv{nullptr};
  nn::FullyConnectedLayer fc{nullptr}, out{nullptr};

 private:
  int64_t group_size_, num_channels_;
};
TORCH_MODULE(DiscriminatorEpilogue);

/// img [N, C, R, R] (in [-1, 1]) -> logits [N, 1].
class DiscriminatorImpl : public torch::nn::Module {
 public:
  explicit DiscriminatorImpl(DiscriminatorOptions options);
  torch::Tensor forward(const torch::Tensor& img);

  DiscriminatorOptions options;
  std::vector<DiscriminatorBlock> blocks;  // b{R} .. b8
  DiscriminatorEpilogue b4{nullptr};
};
TORCH_MODULE(Discriminator);

}  // namespace lagm::gan

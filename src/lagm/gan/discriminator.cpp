#include "lagm/gan/discriminator.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/core/squared.h"
#include "lagm/nn/upfirdn2d.h"

namespace lagm::gan {

int64_t DiscriminatorOptions::channels_at(int64_t res) const {
  return std::min(channel_base / res, channel_max);
}

DiscriminatorOptions discriminator_options_from_json(const nlohmann::json& j,
                                                     const std::string& where) {
  core::check_keys(j,
                   {"img_resolution", "img_channels", "channel_base", "channel_max", "conv_clamp",
                    "mbstd_group_size", "mbstd_num_channels", "architecture", "c_dim"},
                   where);
  DiscriminatorOptions o;
  o.img_resolution = core::get_or(j, "img_resolution", o.img_resolution, where);
  o.img_channels = core::get_or(j, "img_channels", o.img_channels, where);
  o.channel_base = core::get_or(j, "channel_base", o.channel_base, where);
  o.channel_max = core::get_or(j, "channel_max", o.channel_max, where);
  o.mbstd_group_size = core::get_or(j, "mbstd_group_size", o.mbstd_group_size, where);
  o.mbstd_num_channels = core::get_or(j, "mbstd_num_channels", o.mbstd_num_channels, where);
  if (j.contains("conv_clamp") && !j.at("conv_clamp").is_null())
    o.conv_clamp = j.at("conv_clamp").get<double>();
  if (j.value("architecture", std::string("resnet")) != "resnet")
    throw InputError(where + ": only the 'resnet' discriminator architecture is implemented");
  if (j.value("c_dim", 0) != 0)
    throw InputError(where + ": conditional discriminators (c_dim > 0) are not implemented");
  core::require_in_range(o.img_resolution, 8, 4096, where + ".img_resolution");
  core::require_in_range(o.img_channels, 1, 4, where + ".img_channels");
  core::require_in_range(o.channel_base, 1, int64_t{1} << 20, where + ".channel_base");
  core::require_in_range(o.channel_max, 1, 8192, where + ".channel_max");
  core::require_in_range(o.mbstd_group_size, 0, 1024, where + ".mbstd_group_size");
  core::require_in_range(o.mbstd_num_channels, 0, 64, where + ".mbstd_num_channels");
  const int64_t r = o.img_resolution;
  if (r < 8 || (r & (r - 1)) != 0)
    throw InputError(where + ": img_resolution must be a power of two >= 8");
  return o;
}

nlohmann::json to_json(const DiscriminatorOptions& o) {
  return {{"img_resolution", o.img_resolution},
          {"img_channels", o.img_channels},
          {"architecture", "resnet"},
          {"channel_base", o.channel_base},
          {"channel_max", o.channel_max},
          {"conv_clamp", o.conv_clamp ? nlohmann::json(*o.conv_clamp) : nlohmann::json()},
          {"mbstd_group_size", o.mbstd_group_size},
          {"mbstd_num_channels", o.mbstd_num_channels}};
}

DiscriminatorBlockImpl::DiscriminatorBlockImpl(int64_t in_channels, int64_t tmp_channels,
                                               int64_t out_channels,
                                               const DiscriminatorOptions& o) {
  using nn::Activation;
  using nn::Conv2dLayerOptions;
  // Registration order = the reference's state-dict order: the block's own FIR filter buffer
  // (unused by 'resnet', kept so state dicts match), then fromrgb, conv0, conv1, skip.
  register_buffer("resample_filter", nn::make_resample_filter());
  if (in_channels == 0)
    fromrgb = register_module("fromrgb",
                              nn::Conv2dLayer(Conv2dLayerOptions(o.img_channels, tmp_channels, 1)
                                                  .activation(Activation::kLrelu)
                                                  .conv_clamp(o.conv_clamp)));
  conv0 = register_module("conv0", nn::Conv2dLayer(Conv2dLayerOptions(tmp_channels, tmp_channels, 3)
                                                       .activation(Activation::kLrelu)
                                                       .conv_clamp(o.conv_clamp)));
  conv1 = register_module("conv1", nn::Conv2dLayer(Conv2dLayerOptions(tmp_channels, out_channels, 3)
                                                       .activation(Activation::kLrelu)
                                                       .down(2)
                                                       .conv_clamp(o.conv_clamp)));
  skip = register_module(
      "skip",
      nn::Conv2dLayer(Conv2dLayerOptions(tmp_channels, out_channels, 1).bias(false).down(2)));
}

torch::Tensor DiscriminatorBlockImpl::forward(const torch::Tensor& x_in, const torch::Tensor& img) {
  torch::Tensor x = x_in;
  if (fromrgb) {
    auto y = fromrgb->forward(img);
    x = x.defined() ? x + y : y;
  }
  const double half = std::sqrt(0.5);  // keeps the sum of the two branches at unit variance
  auto y = skip->forward(x, half);
  x = conv0->forward(x);
  x = conv1->forward(x, half);
  return y.add(x);
}

torch::Tensor minibatch_stddev(const torch::Tensor& x, int64_t group_size, int64_t num_channels) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t g = std::min(group_size, n);
  TORCH_CHECK(n % g == 0, "minibatch stddev: batch size ", n,
              " is not a multiple of the group size ", g);
  const int64_t f = num_channels;
  auto y =
      x.reshape({g, -1, f, c / f, h, w});  // [G, n/G, F, c, H, W]: sample i is in group i % (n/G)
  y = y - y.mean(0);
  y = core::squared(y).mean(0);
  y = (y + 1e-8).sqrt();
  y = y.mean({2, 3, 4});         // [n/G, F]
  y = y.reshape({-1, f, 1, 1});  // [n/G, F, 1, 1]
  y = y.repeat({g, 1, h, w});    // [N, F, H, W]
  return torch::cat({x, y}, 1);
}

DiscriminatorEpilogueImpl::DiscriminatorEpilogueImpl(int64_t in_channels,
                                                     const DiscriminatorOptions& o)
    : group_size_(o.mbstd_group_size), num_channels_(o.mbstd_num_channels) {
  using nn::Activation;
  conv = register_module(
      "conv", nn::Conv2dLayer(nn::Conv2dLayerOptions(in_channels + num_channels_, in_channels, 3)
                                  .activation(Activation::kLrelu)
                                  .conv_clamp(o.conv_clamp)));
  fc = register_module(
      "fc", nn::FullyConnectedLayer(nn::FullyConnectedLayerOptions(in_channels * 16, in_channels)
                                        .activation(Activation::kLrelu)));
  out = register_module("out",
                        nn::FullyConnectedLayer(nn::FullyConnectedLayerOptions(in_channels, 1)));
}

torch::Tensor DiscriminatorEpilogueImpl::forward(const torch::Tensor& x_in) {
  auto x = x_in;
  if (num_channels_ > 0) x = minibatch_stddev(x, group_size_, num_channels_);
  x = conv->forward(x);
  x = fc->forward(x.flatten(1));
  return out->forward(x);
}

DiscriminatorImpl::DiscriminatorImpl(DiscriminatorOptions options_) : options(options_) {
  const int64_t r = options.img_resolution;
  TORCH_CHECK(r >= 8 && (r & (r - 1)) == 0,
              "Discriminator: img_resolution must be a power of two >= 8");
  for (int64_t res = r; res >= 8; res /= 2) {
    const int64_t in = res < r ? options.channels_at(res) : 0;
    blocks.push_back(register_module(
        "b" + std::to_string(res),
        DiscriminatorBlock(in, options.channels_at(res), options.channels_at(res / 2), options)));
  }
  b4 = register_module("b4", DiscriminatorEpilogue(options.channels_at(4), options));
}

torch::Tensor DiscriminatorImpl::forward(const torch::Tensor& img) {
  torch::Tensor x;
  for (auto& block : blocks) x = block->forward(x, img);
  return b4->forward(x);
}

}  // namespace lagm::gan

// U-Net segmenter as the reference defines it: bilinear up-sampling
// with align_corners=True, pad-to-skip, [skip, upsampled] concatenation, BN after every conv.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace lagm::models {

/// Options for `UNet`; defaults are the reference's.
struct UNetOptions {
  explicit UNetOptions(int64_t num_classes) : num_classes_(num_classes) {}
  TORCH_ARG(int64_t, num_classes);
  TORCH_ARG(int64_t, input_channels) = 3;
  TORCH_ARG(int64_t, base_channels) = 64;
};

/// [max-pool 2 |] [bilinear up x2, pad, cat(skip, x) |] (conv3x3 + BN + ReLU) x 2.
class UNetBlockImpl : public torch::nn::Module {
 public:
  UNetBlockImpl(int64_t in_channels, int64_t out_channels, bool down, bool up);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip = {});

  bool down, up;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
};
TORCH_MODULE(UNetBlock);

/// x [N, 3, H, W] in [-1, 1] -> logits [N, K, H, W].
class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(UNetOptions options);
  torch::Tensor forward(const torch::Tensor& x);

  UNetOptions options;
  UNetBlock inc{nullptr}, down1{nullptr}, down2{nullptr}, down3{nullptr}, down4{nullptr};
  UNetBlock up1{nullptr}, up2{nullptr}, up3{nullptr}, up4{nullptr};
  torch::nn::Conv2d outc{nullptr};
};
TORCH_MODULE(UNet);

}  // namespace lagm::models

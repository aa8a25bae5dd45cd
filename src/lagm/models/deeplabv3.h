// DeepLabv3 with a dilated ResNet backbone (output stride 8) and LAGM's wrapper that maps [-1, 1]
// images to ImageNet normalisation. Names equal torchvision 0.14's
// `deeplabv3_resnet101(num_classes=K, aux_loss=None)` under `main_net.`.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>

#include "lagm/models/resnet.h"

namespace lagm::models {

/// Options for `DeepLabV3`; defaults are torchvision's.
struct DeepLabV3Options {
  explicit DeepLabV3Options(int64_t num_classes) : num_classes_(num_classes) {}
  TORCH_ARG(int64_t, num_classes);
  TORCH_ARG(std::string, backbone) = "resnet101";  ///< or "resnet50"
  TORCH_ARG(double, aspp_dropout) = 0.5;           ///< p of the ASPP projection Dropout
};

/// ASPP image-pooling branch: children "0" pool, "1" conv, "2" BN, "3" ReLU; upsampled back.
class ASPPPoolingImpl : public torch::nn::Module {
 public:
  ASPPPoolingImpl(int64_t in_channels, int64_t out_channels);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ASPPPooling);

/// Atrous spatial pyramid pooling: 1x1, three dilated 3x3, image pooling; concat; project.
class ASPPImpl : public torch::nn::Module {
 public:
  ASPPImpl(int64_t in_channels, const std::vector<int64_t>& rates, double dropout);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::ModuleList convs{nullptr};
  torch::nn::Sequential project{nullptr};
};
TORCH_MODULE(ASPP);

/// torchvision DeepLabV3: "backbone" (ResNet without avgpool/fc) and "classifier" (DeepLabHead).
/// x [N, 3, H, W] (ImageNet-normalised) -> logits [N, K, H, W].
class DeepLabV3Impl : public torch::nn::Module {
 public:
  explicit DeepLabV3Impl(DeepLabV3Options options);
  torch::Tensor forward(const torch::Tensor& x);
  DeepLabV3Options options;
  ResNet backbone{nullptr};
  torch::nn::Sequential classifier{nullptr};
};
TORCH_MODULE(DeepLabV3);

/// LAGM's wrapper: buffers "input_mean"/"input_std" [1, 3, 1, 1] and "main_net".
/// x [N, 3, H, W] in [-1, 1] -> logits [N, K, H, W].
class DeepLabSegmenterImpl : public torch::nn::Module {
 public:
  explicit DeepLabSegmenterImpl(DeepLabV3Options options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor input_mean, input_std;
  DeepLabV3 main_net{nullptr};
};
TORCH_MODULE(DeepLabSegmenter);

}  // namespace lagm::models

// torchvision's ResNet-50/101 (Bottleneck, V1.5: stride on the 3x3 conv) with optional dilation in
// place of stride, as DeepLabv3 uses it (`replace_stride_with_dilation=[False, True, True]`).
// Names equal torchvision 0.14's state dict
// (tests/golden/reference/manifests/torchvision_resnet101.json).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <array>

namespace lagm::models {

using StageBlocks = std::array<int64_t, 4>;  ///< blocks per stage: {3,4,23,3} = ResNet-101
using StageDilation = std::array<bool, 3>;   ///< dilate instead of stride in layer2..4

/// Options for `ResNet`.
struct ResNetOptions {
  explicit ResNetOptions(StageBlocks layers) : layers_(layers) {}
  TORCH_ARG(StageBlocks, layers);
  TORCH_ARG(StageDilation, replace_stride_with_dilation) = {false, false, false};
  TORCH_ARG(int64_t, num_classes) = 1000;
  TORCH_ARG(bool, include_fc) = true;  ///< false: the backbone only (no avgpool/fc)
};

/// 1x1 -> 3x3 (stride, dilation) -> 1x1 (x4), identity or downsample, ReLU.
class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation,
                 bool downsample);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};  // "downsample.0" conv, "downsample.1" BN
};
TORCH_MODULE(Bottleneck);

/// x [N, 3, H, W] (ImageNet-normalised) -> layer4 features [N, 2048, H/s, W/s] (include_fc = false)
/// or class logits [N, num_classes].
class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(ResNetOptions options);
  torch::Tensor forward(const torch::Tensor& x);

  ResNetOptions options;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

/// {3,4,23,3} or {3,4,6,3} for "resnet101" / "resnet50"; throws InputError otherwise.
std::array<int64_t, 4> resnet_layers(const std::string& depth_name);

}  // namespace lagm::models

#include "lagm/models/resnet.h"

#include <torch/torch.h>

#include "lagm/core/error.h"
#include "lagm/nn/pruned_conv2d.h"
#include "lagm/nn/sync_batch_norm.h"

namespace lagm::models {
namespace F = torch::nn::functional;

namespace {
torch::nn::Conv2dOptions conv_options(int64_t in, int64_t out, int64_t k, int64_t stride = 1,
                                      int64_t padding = 0, int64_t dilation = 1) {
  return torch::nn::Conv2dOptions(in, out, k)
      .stride(stride)
      .padding(padding)
      .dilation(dilation)
      .bias(false);
}
}  // namespace

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation,
                               bool has_downsample) {
  conv1 = register_module("conv1", torch::nn::Conv2d(conv_options(inplanes, planes, 1)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2 = register_module(
      "conv2", torch::nn::Conv2d(conv_options(planes, planes, 3, stride, dilation, dilation)));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
  conv3 = register_module("conv3", torch::nn::Conv2d(conv_options(planes, planes * 4, 1)));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(planes * 4));
  if (has_downsample)
    downsample = register_module(
        "downsample",
        torch::nn::Sequential(torch::nn::Conv2d(conv_options(inplanes, planes * 4, 1, stride)),
                              torch::nn::BatchNorm2d(planes * 4)));
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(nn::batch_norm(bn1, nn::pruned_conv2d(*conv1, x)));
  out = torch::relu(nn::batch_norm(bn2, nn::pruned_conv2d(*conv2, out)));
  out = nn::batch_norm(bn3, nn::pruned_conv2d(*conv3, out));
  out = out + (downsample ? nn::forward_sequential(*downsample, x) : x);
  return torch::relu(out);
}

ResNetImpl::ResNetImpl(ResNetOptions options_) : options(options_) {
  conv1 = register_module("conv1", torch::nn::Conv2d(conv_options(3, 64, 7, 2, 3)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  int64_t inplanes = 64, dilation = 1;
  auto make_layer = [&](int64_t planes, int64_t blocks, int64_t stride, bool dilate) {
    const int64_t previous_dilation = dilation;
    if (dilate) {
      dilation *= stride;
      stride = 1;
    }
    torch::nn::Sequential layer;
    layer->push_back(Bottleneck(inplanes, planes, stride, previous_dilation,
                                stride != 1 || inplanes != planes * 4));
    inplanes = planes * 4;
    for (int64_t i = 1; i < blocks; ++i)
      layer->push_back(Bottleneck(inplanes, planes, 1, dilation, false));
    return layer;
  };
  const auto& n = options.layers();
  const auto& d = options.replace_stride_with_dilation();
  layer1 = register_module("layer1", make_layer(64, n[0], 1, false));
  layer2 = register_module("layer2", make_layer(128, n[1], 2, d[0]));
  layer3 = register_module("layer3", make_layer(256, n[2], 2, d[1]));
  layer4 = register_module("layer4", make_layer(512, n[3], 2, d[2]));
  if (options.include_fc())
    fc = register_module("fc", torch::nn::Linear(2048, options.num_classes()));
  // torchvision's init: kaiming-normal (fan_out, relu) convs, BN weight 1 / bias 0.
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>())
      torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
  }
}

torch::Tensor ResNetImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(nn::batch_norm(bn1, nn::pruned_conv2d(*conv1, x)));
  y = F::max_pool2d(y, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
  y = layer4->forward(layer3->forward(layer2->forward(layer1->forward(y))));
  if (!options.include_fc()) return y;
  return fc->forward(
      torch::flatten(F::adaptive_avg_pool2d(y, F::AdaptiveAvgPool2dFuncOptions(1)), 1));
}

std::array<int64_t, 4> resnet_layers(const std::string& name) {
  if (name == "resnet101") return {3, 4, 23, 3};
  if (name == "resnet50") return {3, 4, 6, 3};
  throw InputError("unknown ResNet '" + name + "' (expected resnet50 or resnet101)");
}

}  // namespace lagm::models

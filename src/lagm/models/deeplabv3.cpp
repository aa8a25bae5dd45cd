#include "lagm/models/deeplabv3.h"

#include <torch/torch.h>

#include <utility>

#include "lagm/nn/pruned_conv2d.h"
#include "lagm/nn/sync_batch_norm.h"

namespace lagm::models {
namespace F = torch::nn::functional;

namespace {

torch::nn::Sequential conv_bn_relu(int64_t in, int64_t out, int64_t k, int64_t dilation = 1) {
  return torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k)
                                                     .padding(k == 3 ? dilation : 0)
                                                     .dilation(dilation)
                                                     .bias(false)),
                               torch::nn::BatchNorm2d(out), torch::nn::ReLU());
}

torch::Tensor resize_bilinear(const torch::Tensor& x, int64_t h, int64_t w) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace

ASPPPoolingImpl::ASPPPoolingImpl(int64_t in, int64_t out) {
  register_module("0", torch::nn::AdaptiveAvgPool2d(1));
  conv = register_module("1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(false)));
  bn = register_module("2", torch::nn::BatchNorm2d(out));
  register_module("3", torch::nn::ReLU());
}

torch::Tensor ASPPPoolingImpl::forward(const torch::Tensor& x) {
  auto y = F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(1));
  y = torch::relu(nn::batch_norm(bn, nn::pruned_conv2d(*conv, y)));
  return resize_bilinear(y, x.size(2), x.size(3));
}

ASPPImpl::ASPPImpl(int64_t in, const std::vector<int64_t>& rates, double dropout) {
  const int64_t out = 256;
  convs = torch::nn::ModuleList();
  convs->push_back(conv_bn_relu(in, out, 1));
  for (int64_t r : rates) convs->push_back(conv_bn_relu(in, out, 3, r));
  convs->push_back(ASPPPooling(in, out));
  register_module("convs", convs);
  project = register_module(
      "project",
      torch::nn::Sequential(
          torch::nn::Conv2d(torch::nn::Conv2dOptions(out * (rates.size() + 2), out, 1).bias(false)),
          torch::nn::BatchNorm2d(out), torch::nn::ReLU(), torch::nn::Dropout(dropout)));
}

torch::Tensor ASPPImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> branches;
  const size_t n = convs->size();
  for (size_t i = 0; i + 1 < n; ++i)
    branches.push_back(nn::forward_sequential(*convs->ptr<torch::nn::SequentialImpl>(i), x));
  branches.push_back(convs->ptr<ASPPPoolingImpl>(n - 1)->forward(x));
  return nn::forward_sequential(*project, torch::cat(branches, 1));
}

DeepLabV3Impl::DeepLabV3Impl(DeepLabV3Options options_) : options(std::move(options_)) {
  backbone = register_module(
      "backbone", ResNet(ResNetOptions(resnet_layers(options.backbone()))
                             .replace_stride_with_dilation(StageDilation{false, true, true})
                             .include_fc(false)));
  classifier = register_module(
      "classifier",
      torch::nn::Sequential(
          ASPP(2048, std::vector<int64_t>{12, 24, 36}, options.aspp_dropout()),
          torch::nn::Conv2d(torch::nn::Conv2dOptions(256, 256, 3).padding(1).bias(false)),
          torch::nn::BatchNorm2d(256), torch::nn::ReLU(),
          torch::nn::Conv2d(torch::nn::Conv2dOptions(256, options.num_classes(), 1))));
}

torch::Tensor DeepLabV3Impl::forward(const torch::Tensor& x) {
  auto y = nn::forward_sequential(*classifier, backbone->forward(x));
  return resize_bilinear(y, x.size(2), x.size(3));
}

DeepLabSegmenterImpl::DeepLabSegmenterImpl(DeepLabV3Options options) {
  input_mean =
      register_buffer("input_mean", torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1}));
  input_std =
      register_buffer("input_std", torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1}));
  main_net = register_module("main_net", DeepLabV3(options));
}

torch::Tensor DeepLabSegmenterImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 3, "DeepLabSegmenter.x must be [N, 3, H, W], got ",
              x.sizes());
  return main_net->forward(((x + 1) * 0.5 - input_mean) / input_std);
}

}  // namespace lagm::models

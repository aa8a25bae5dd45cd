#include "lagm/models/unet.h"

#include <torch/torch.h>

#include "lagm/nn/pruned_conv2d.h"
#include "lagm/nn/sync_batch_norm.h"

namespace lagm::models {
namespace F = torch::nn::functional;

UNetBlockImpl::UNetBlockImpl(int64_t in, int64_t out, bool down_, bool up_) : down(down_), up(up_) {
  conv1 =
      register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(out));
  conv2 =
      register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1)));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
}

torch::Tensor UNetBlockImpl::forward(const torch::Tensor& x_in, const torch::Tensor& skip) {
  auto x = x_in;
  if (down) x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2));
  if (up) {
    // bfloat16 (fast mode's autocast) is resized in float32: LibTorch 1.13's CPU backward of a
    // bfloat16 bilinear resize took 8x longer than float32's (measured in a GM step).
    const auto resized =
        F::interpolate(x.scalar_type() == torch::kBFloat16 ? x.to(torch::kFloat32) : x,
                       F::InterpolateFuncOptions()
                           .size(std::vector<int64_t>{2 * x.size(2), 2 * x.size(3)})
                           .mode(torch::kBilinear)
                           .align_corners(true));
    x = resized.to(x.scalar_type());
    const int64_t dh = skip.size(2) - x.size(2), dw = skip.size(3) - x.size(3);
    if (dh != 0 || dw != 0)
      x = F::pad(x, F::PadFuncOptions({dw / 2, dw - dw / 2, dh / 2, dh - dh / 2}));
    x = torch::cat({skip, x}, 1);
  }
  x = torch::relu(nn::batch_norm(bn1, nn::pruned_conv2d(*conv1, x)));
  return torch::relu(nn::batch_norm(bn2, nn::pruned_conv2d(*conv2, x)));
}

UNetImpl::UNetImpl(UNetOptions options_) : options(options_) {
  const int64_t b = options.base_channels();
  inc = register_module("inc", UNetBlock(options.input_channels(), b, false, false));
  down1 = register_module("down1", UNetBlock(b, 2 * b, true, false));
  down2 = register_module("down2", UNetBlock(2 * b, 4 * b, true, false));
  down3 = register_module("down3", UNetBlock(4 * b, 8 * b, true, false));
  down4 = register_module("down4", UNetBlock(8 * b, 8 * b, true, false));
  up1 = register_module("up1", UNetBlock(16 * b, 4 * b, false, true));
  up2 = register_module("up2", UNetBlock(8 * b, 2 * b, false, true));
  up3 = register_module("up3", UNetBlock(4 * b, b, false, true));
  up4 = register_module("up4", UNetBlock(2 * b, b, false, true));
  outc = register_module("outc",
                         torch::nn::Conv2d(torch::nn::Conv2dOptions(b, options.num_classes(), 1)));
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == options.input_channels(), "UNet.x must be [N, ",
              options.input_channels(), ", H, W], got ", x.sizes());
  auto x1 = inc->forward(x);
  auto x2 = down1->forward(x1);
  auto x3 = down2->forward(x2);
  auto x4 = down3->forward(x3);
  auto x5 = down4->forward(x4);
  auto y = up1->forward(x5, x4);
  y = up2->forward(y, x3);
  y = up3->forward(y, x2);
  y = up4->forward(y, x1);
  return nn::pruned_conv2d(*outc, y);
}

}  // namespace lagm::models

#include "lagm/models/stylegan2/synthesis_block.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/nn/upfirdn2d.h"

namespace lagm::models::stylegan2 {

SynthesisBlockImpl::SynthesisBlockImpl(const GeneratorOptions& o, int64_t in_channels_,
                                       int64_t out_channels, int64_t resolution_, bool is_last_)
    : in_channels(in_channels_),
      resolution(resolution_),
      is_last(is_last_),
      use_fp16(o.block_uses_fp16(resolution_)),
      architecture(o.synthesis.architecture) {
  // Registration order = the reference's: const, resample_filter, conv0, conv1, torgb, skip.
  if (in_channels == 0)
    const_ = register_parameter("const", torch::randn({out_channels, resolution, resolution}));
  resample_filter = register_buffer("resample_filter", nn::make_resample_filter());
  auto layer = [&](int64_t in, int64_t up) {
    return SynthesisLayer(SynthesisLayerOptions(in, out_channels, o.w_dim, resolution)
                              .up(up)
                              .use_noise(o.synthesis.use_noise)
                              .activation(o.synthesis.activation)
                              .conv_clamp(o.synthesis.conv_clamp));
  };
  if (in_channels != 0) {
    conv0 = register_module("conv0", layer(in_channels, 2));
    ++num_conv;
  }
  conv1 = register_module("conv1", layer(out_channels, 1));
  ++num_conv;
  if (is_last || architecture == Architecture::kSkip) {
    torgb =
        register_module("torgb", ToRGBLayer(ToRGBLayerOptions(out_channels, o.img_channels, o.w_dim)
                                                .conv_clamp(o.synthesis.conv_clamp)));
    ++num_torgb;
  }
  if (in_channels != 0 && architecture == Architecture::kResnet)
    skip = register_module(
        "skip",
        nn::Conv2dLayer(nn::Conv2dLayerOptions(in_channels, out_channels, 1).bias(false).up(2)));
}

namespace {

// Fast mode: channels-last from the up-sampling convolution's output on, so that the 3x3
// convolution after it (its cached weight channels-last too), the next block and the annotator's
// lateral convolutions (channels-last weights) take it without a copy per call.
torch::Tensor in_fast_layout(const torch::Tensor& x, bool bf16) {
  return bf16 ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
}

}  // namespace

BlockOutput SynthesisBlockImpl::forward(const torch::Tensor& x_in, const torch::Tensor& img_in,
                                        const torch::Tensor& ws, NoiseMode noise_mode,
                                        bool force_fp32, c10::optional<bool> fused_modconv,
                                        bool bf16) {
  const int64_t n = ws.size(0);
  TORCH_CHECK(ws.dim() == 3 && ws.size(1) == num_conv + num_torgb, "SynthesisBlock b", resolution,
              ".ws must be [N, ", num_conv + num_torgb, ", w_dim], got ", ws.sizes());
  // fp16 only where it exists: LibTorch's CPU kernels lack Half convolutions.
  const bool half = use_fp16 && !force_fp32 && ws.is_cuda();
  const auto dtype = bf16 ? torch::kBFloat16 : half ? torch::kFloat16 : torch::kFloat32;
  // Fast mode scales the activations rather than the kernels (the training form) in eval too:
  // one shared kernel instead of a grouped convolution with per-sample kernels, which bfloat16
  // would have to build, cast and flip for every sample at every call.
  const bool fused = fused_modconv.value_or(!is_training() && !bf16 && (!half || n == 1));
  int64_t w_idx = 0;
  auto next_w = [&] { return ws.select(1, w_idx++); };

  torch::Tensor x;
  if (in_channels == 0) {
    x = const_.to(dtype).unsqueeze(0).repeat({n, 1, 1, 1});
  } else {
    const int64_t r = resolution / 2;
    TORCH_CHECK(
        x_in.dim() == 4 && x_in.size(1) == in_channels && x_in.size(2) == r && x_in.size(3) == r,
        "SynthesisBlock b", resolution, ".x must be [N, ", in_channels, ", ", r, ", ", r, "], got ",
        x_in.sizes());
    x = x_in.to(dtype);
  }
  if (in_channels == 0) {
    x = conv1->forward(x, next_w(), noise_mode, fused);
  } else if (architecture == Architecture::kResnet) {
    auto y = skip->forward(x, std::sqrt(0.5));
    x = conv0->forward(x, next_w(), noise_mode, fused);
    x = conv1->forward(in_fast_layout(x, bf16), next_w(), noise_mode, fused, std::sqrt(0.5));
    x = y.add(x);
  } else {
    x = conv0->forward(x, next_w(), noise_mode, fused);
    x = conv1->forward(in_fast_layout(x, bf16), next_w(), noise_mode, fused);
  }
  torch::Tensor img = img_in;
  if (img.defined()) img = nn::upsample2d(img, resample_filter);
  if (is_last || architecture == Architecture::kSkip) {
    auto y = torgb->forward(x, next_w(), fused).to(torch::kFloat32);
    img = img.defined() ? img.add(y) : y;
  }
  return {x, img};
}

}  // namespace lagm::models::stylegan2

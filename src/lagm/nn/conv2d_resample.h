// 2-D convolution fused with FIR up/down-sampling, with the reference's padding convention:
// `padding` is given relative to the up-sampled image.
#pragma once

#include <torch/types.h>

#include <vector>

namespace lagm::nn {

/// x [N, groups*I, H, W], w [O, I, kh, kw], f the FIR filter (2-D, or undefined when up = down =
/// 1). flip_weight = true means plain correlation (torch conv2d); false means w is a true
/// convolution kernel (the StyleGAN2 up-conv). Returns [N, O, H*up/down, W*up/down] for "same"
/// padding.
torch::Tensor conv2d_resample(const torch::Tensor& x, const torch::Tensor& w,
                              const torch::Tensor& f, int64_t up = 1, int64_t down = 1,
                              int64_t padding = 0, int64_t groups = 1, bool flip_weight = true,
                              bool flip_filter = false);

/// conv_transpose2d(x, w, stride, padding, groups) computed as stride^2 ordinary convolutions (one
/// per output phase, each with the kernel taps that reach it) interleaved. Same sums, other order.
/// Why: on the CPU, LibTorch's transposed convolution takes a slow path (measured 5-7x slower than
/// conv2d with the same multiply-adds at 32-128 px), while conv2d uses the fast one.
torch::Tensor conv_transpose2d_polyphase(const torch::Tensor& x, const torch::Tensor& w,
                                         int64_t stride, int64_t padding = 0, int64_t groups = 1);

/// The kernels of conv_transpose2d's stride^2 output phases, phase (a, b) at a * stride + b: the
/// taps ky = a + m*stride, kx = b + l*stride of the convolution-layout kernel `taps` [C, I, k, k]
/// (of `taps` reversed in both spatial axes when `flipped`), reversed, so that conv2d applies them
/// as the true convolution; undefined where no tap reaches a phase. Copies of the same floats.
std::vector<torch::Tensor> polyphase_kernels(const torch::Tensor& taps, int64_t stride,
                                             bool flipped);

}  // namespace lagm::nn

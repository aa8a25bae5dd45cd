// A Conv2d module's forward whose second derivative computes only the terms the backward pass
// asks for. Gradient matching differentiates S's weight gradients again (phase A); LibTorch's
// double backward of a convolution (1.13's _convolution_double_backward) always computes all three
// of its terms, and on the CPU the input term is a transposed convolution on a slow path, although
// A's gradient needs only the output-gradient term (S's activations do not depend on A). Here each
// term is computed only when the graph task needs it, with the same ATen calls, so the terms that
// are computed are the same numbers.
#pragma once

#include <torch/nn/modules/conv.h>
#include <torch/types.h>

namespace lagm::nn {

/// conv->forward(x), with the pruned double backward when autograd records this call. Falls back
/// to the module's own forward under autocast, without grad mode, for transposed or non-zero
/// padding modes and string paddings.
/// Under ConvolutionsInBf16 a float32 call computes in bfloat16 and returns float32. A 3x3 "same"
/// dilated convolution whose dilation reaches past the input in an axis convolves with the taps
/// that reach the input only (the others multiply its zero padding), and a dilated one gets its
/// input in its weight's layout.
torch::Tensor pruned_conv2d(torch::nn::Conv2dImpl& conv, const torch::Tensor& x);

/// Fast mode's phase A: S's convolutions on the generated batch in bfloat16 while an instance
/// constructed with on = true lives (on this thread). The layers below the matched parameters,
/// with nothing to differentiate, as plain bfloat16 calls; the matched ones, whose weight gradient
/// is differentiated again, through this file's own double backward in bfloat16 (LibTorch 1.13's
/// bfloat16 convolution fails in its own double backward), with the casts to and from bfloat16
/// recorded so that the gradients arrive in float32.
class ConvolutionsInBf16 {
 public:
  explicit ConvolutionsInBf16(bool on);
  ~ConvolutionsInBf16();
  ConvolutionsInBf16(const ConvolutionsInBf16&) = delete;
  ConvolutionsInBf16& operator=(const ConvolutionsInBf16&) = delete;

 private:
  bool previous_;
};

}  // namespace lagm::nn

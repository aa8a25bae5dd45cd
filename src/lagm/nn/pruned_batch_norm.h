// A training-mode BatchNorm2d forward whose second derivative computes only the terms the backward
// pass asks for. Phase A differentiates S's weight gradients again, into A's labels only; through
// a BatchNorm layer that needs the derivative of its backward with respect to the incoming
// gradient alone, but LibTorch 1.13's BatchNorm double backward computes its input and weight
// terms too (about 25 passes over the activations, measured: the same time whether or not they
// are asked for). The output-gradient term is computed here from its own formula, so it rounds
// differently from LibTorch's: fast mode only.
#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/types.h>

namespace lagm::nn {

/// bn->forward(x) in training mode (the same output, statistics and running-statistics update)
/// whose backward is a node of lagm's own: the first derivatives are LibTorch's
/// (native_batch_norm_backward), the second derivative with respect to the incoming gradient is
/// the adjoint of that linear map, gamma * invstd * P(ggx) + ggw * x_hat + ggb, with P the same
/// per-channel projection the first derivative applies (it is symmetric), and those with respect
/// to x and the weight are LibTorch's, computed only when asked for.
torch::Tensor pruned_batch_norm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x);

/// While an instance constructed with on = true lives (on this thread), nn::batch_norm runs
/// training-mode layers whose input or parameters need a gradient through pruned_batch_norm.
class PrunedBatchNormDoubleBackward {
 public:
  explicit PrunedBatchNormDoubleBackward(bool on);
  ~PrunedBatchNormDoubleBackward();
  PrunedBatchNormDoubleBackward(const PrunedBatchNormDoubleBackward&) = delete;
  PrunedBatchNormDoubleBackward& operator=(const PrunedBatchNormDoubleBackward&) = delete;

  /// Whether an instance constructed with on = true is alive on this thread.
  static bool active();

 private:
  bool previous_;
};

}  // namespace lagm::nn

// Synchronized batch normalisation for data-parallel training: in training mode a BatchNorm layer
// normalises with the mean and variance of the global batch (every process's share together), as
// one process with the whole batch would, instead of each process's share alone. The processes'
// sums travel through a CrossProcessSum that the training layer provides (a c10d all-reduce); the
// gradients of those sums travel back the same way, so the backward pass is that of the global
// batch too.
#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>

namespace lagm::nn {

/// Sums a tensor over the processes of a data-parallel run (every process calls it in the same
/// order).
class CrossProcessSum {
 public:
  virtual ~CrossProcessSum() = default;
  virtual torch::Tensor sum(const torch::Tensor& local) = 0;
};

/// While alive, `batch_norm` synchronizes the layers it normalises in training mode through `sum`.
class SyncBatchNormScope {
 public:
  explicit SyncBatchNormScope(CrossProcessSum& sum);
  ~SyncBatchNormScope();
  SyncBatchNormScope(const SyncBatchNormScope&) = delete;
  SyncBatchNormScope& operator=(const SyncBatchNormScope&) = delete;
};

/// `bn(x)`; synchronized over the processes when a SyncBatchNormScope is alive and `bn` trains.
/// Running statistics are updated with the global mean and unbiased variance (the same on every
/// process). The parameter and buffer names are those of the plain layer. The backward pass is
/// itself differentiable (its sum is the same cross-process sum), so gradients of gradients (phase
/// I's matching loss) cross the processes too.
torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x);
inline torch::Tensor batch_norm(torch::nn::BatchNorm2d& bn, const torch::Tensor& x) {
  return batch_norm(*bn, x);
}

/// `seq(x)` with its BatchNorm2d children through `batch_norm` and its Conv2d children through
/// `pruned_conv2d` (the other children as they are).
torch::Tensor forward_sequential(torch::nn::SequentialImpl& seq, const torch::Tensor& x);

}  // namespace lagm::nn

// Synchronized batch normalisation for data-parallel training: in training mode a BatchNorm layer
// normalises with the mean and variance of the global batch (every process's share together), as
// one process with the whole batch would, instead of each process's share alone. The processes'
// sums travel through a CrossProcessSum that the training layer provides (a c10d all-reduce); the
// gradients of those sums travel back the same way, so the backward pass is that of the global
// batch too.
#pragma once

#include <torch/nn/modules/batchnorm.h>
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
/// process). The parameter and buffer names are those of the plain layer.
torch::Tensor batch_norm(torch::nn::BatchNorm2d& bn, const torch::Tensor& x);

}  // namespace lagm::nn

// The generators' per-pixel noise when a process generates its share of a batch. A data-parallel
// run draws every latent of the batch on every process and generates only its own rows; the noise
// must then be drawn as the whole batch's and the share's rows kept, so that each row is the image
// one process would make and every process's random stream stays in step with the others.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace lagm::models {

/// While alive on this thread, `random_noise` draws `batch` rows and returns rows [begin, begin +
/// n) of them.
class NoiseShareScope {
 public:
  NoiseShareScope(int64_t batch, int64_t begin);
  ~NoiseShareScope();
  NoiseShareScope(const NoiseShareScope&) = delete;
  NoiseShareScope& operator=(const NoiseShareScope&) = delete;

 private:
  int64_t previous_batch_, previous_begin_;
};

/// randn [n, 1, res, res] with `options`; within a NoiseShareScope, the scope's rows of a draw of
/// the whole batch.
torch::Tensor random_noise(int64_t n, int64_t res, const torch::TensorOptions& options);

}  // namespace lagm::models

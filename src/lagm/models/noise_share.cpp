#include "lagm/models/noise_share.h"

#include <torch/torch.h>

#include "lagm/core/error.h"

namespace lagm::models {
namespace {

thread_local int64_t t_batch = 0;  // 0: no scope
thread_local int64_t t_begin = 0;

}  // namespace

NoiseShareScope::NoiseShareScope(int64_t batch, int64_t begin)
    : previous_batch_(t_batch), previous_begin_(t_begin) {
  t_batch = batch;
  t_begin = begin;
}

NoiseShareScope::~NoiseShareScope() {
  t_batch = previous_batch_;
  t_begin = previous_begin_;
}

torch::Tensor random_noise(int64_t n, int64_t res, const torch::TensorOptions& options) {
  if (t_batch == 0) return torch::randn({n, 1, res, res}, options);
  if (t_begin < 0 || t_begin + n > t_batch)
    throw Error("noise share: rows [" + std::to_string(t_begin) + ", " +
                std::to_string(t_begin + n) + ") of a batch of " + std::to_string(t_batch));
  return torch::randn({t_batch, 1, res, res}, options).narrow(0, t_begin, n);
}

}  // namespace lagm::models

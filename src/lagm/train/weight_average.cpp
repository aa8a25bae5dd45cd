#include "lagm/train/weight_average.h"

#include <torch/torch.h>

#include <algorithm>

#include "lagm/core/error.h"

namespace lagm::train {

double ramped_decay(double decay, int64_t update) {
  const double u = static_cast<double>(std::max<int64_t>(update, 1));
  return std::min(decay, (1.0 + u) / (10.0 + u));
}

void update_weight_average(torch::nn::Module& average, const torch::nn::Module& current,
                           double decay, int64_t update) {
  torch::NoGradGuard no_grad;
  const double d = ramped_decay(decay, update);
  const auto avg_params = average.parameters(), cur_params = current.parameters();
  const auto avg_buffers = average.buffers(), cur_buffers = current.buffers();
  if (avg_params.size() != cur_params.size() || avg_buffers.size() != cur_buffers.size())
    throw Error("update_weight_average: the two modules differ in architecture");
  for (size_t i = 0; i < avg_params.size(); ++i) avg_params[i].mul_(d).add_(cur_params[i], 1.0 - d);
  for (size_t i = 0; i < avg_buffers.size(); ++i) avg_buffers[i].copy_(cur_buffers[i]);
}

}  // namespace lagm::train

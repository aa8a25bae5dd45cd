// An exponential moving average of a module's weights (Polyak averaging), kept in a second module
// of the same architecture so that it can be run, saved and restored like the original.
#pragma once

#include <torch/nn/module.h>

namespace lagm::train {

/// The decay used at the `update`-th update (counting from 1): min(decay, (1 + u) / (10 + u)).
/// Why the ramp: with a fixed decay of 0.999 the first thousand averages would still hold most of
/// the random initial weights; the ramp lets the average follow the early steps closely.
double ramped_decay(double decay, int64_t update);

/// average <- d * average + (1 - d) * current for every parameter, d = ramped_decay(decay, update);
/// buffers (batch-norm statistics) are copied. Both modules must have the same architecture.
void update_weight_average(torch::nn::Module& average, const torch::nn::Module& current,
                           double decay, int64_t update);

}  // namespace lagm::train

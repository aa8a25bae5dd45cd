// Forward-mode differentiation of a network's output in a direction of some of its parameters:
// J v, where J is d output / d params. It runs the network once more, without recording a graph:
// nothing of the pass is kept, where a double backward must keep the whole forward pass and the
// graph of its backward at once.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

namespace lagm::nn {

/// The output of `forward()` and its derivative along `direction` (one tensor per parameter of
/// `params`, same shapes; undefined = 0 in that parameter's direction). `forward` is run once with
/// grad mode off; every operation on the way must support forward-mode differentiation (LibTorch's
/// convolutions, batch norm, pooling, interpolation and point-wise operations do). The parameters
/// are left as they were.
struct OutputAndDerivative {
  torch::Tensor output, derivative;
};
OutputAndDerivative directional_derivative(const std::function<torch::Tensor()>& forward,
                                           const std::vector<torch::Tensor>& params,
                                           const std::vector<torch::Tensor>& direction);

}  // namespace lagm::nn

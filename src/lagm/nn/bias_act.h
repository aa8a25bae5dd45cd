// Bias + activation + gain + clamp in the reference order:
// +bias -> activation -> x gain -> clamp to ±clamp.
#pragma once

#include <c10/util/Optional.h>
#include <torch/types.h>

#include <string>

namespace lagm::nn {

/// Activation functions of the reference's bias_act.
enum class Activation { kLinear, kRelu, kLrelu };

/// "linear", "relu", "lrelu"; throws InputError for others.
Activation parse_activation(const std::string& name);
std::string to_string(Activation a);

/// The activation's default gain: sqrt(2) for relu/lrelu, 1 for linear.
double default_gain(Activation a);

/// y = clamp(act(x + b) * gain, ±clamp); b is added along `dim` (may be undefined: no bias).
/// lrelu slope 0.2. gain < 0 means the activation's default gain.
torch::Tensor bias_act(const torch::Tensor& x, const torch::Tensor& b, Activation act,
                       double gain = -1, c10::optional<double> clamp = c10::nullopt,
                       int64_t dim = 1);

}  // namespace lagm::nn

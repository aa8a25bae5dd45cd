#include "lagm/nn/bias_act.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/core/error.h"

namespace lagm::nn {

Activation parse_activation(const std::string& name) {
  if (name == "linear") return Activation::kLinear;
  if (name == "relu") return Activation::kRelu;
  if (name == "lrelu") return Activation::kLrelu;
  throw InputError("unknown activation '" + name + "' (expected linear, relu or lrelu)");
}

std::string to_string(Activation a) {
  switch (a) {
    case Activation::kLinear:
      return "linear";
    case Activation::kRelu:
      return "relu";
    case Activation::kLrelu:
      return "lrelu";
  }
  return "?";
}

double default_gain(Activation a) { return a == Activation::kLinear ? 1.0 : std::sqrt(2.0); }

torch::Tensor bias_act(const torch::Tensor& x, const torch::Tensor& b, Activation act, double gain,
                       c10::optional<double> clamp, int64_t dim) {
  auto y = x;
  if (b.defined()) {
    std::vector<int64_t> shape(x.dim(), 1);
    shape[dim] = -1;
    y = y + b.to(x.scalar_type()).view(shape);
  }
  switch (act) {
    case Activation::kLinear:
      break;
    case Activation::kRelu:
      y = torch::relu(y);
      break;
    case Activation::kLrelu:
      y = torch::leaky_relu(y, 0.2);
      break;
  }
  if (gain < 0) gain = default_gain(act);
  if (gain != 1) y = y * gain;
  if (clamp.has_value() && *clamp >= 0) y = y.clamp(-*clamp, *clamp);
  return y;
}

}  // namespace lagm::nn

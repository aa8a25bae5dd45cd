#include "lagm/nn/directional_derivative.h"

#include <ATen/ops/_unpack_dual.h>
#include <torch/csrc/autograd/forward_grad.h>
#include <torch/torch.h>

namespace lagm::nn {
namespace {

// A forward-mode level for the duration of one pass; leaving it drops every tangent attached at
// that level (the parameters' included), also when the pass throws.
class ForwardModeLevel {
 public:
  ForwardModeLevel() : index_(torch::autograd::ForwardADLevel::get_next_idx()) {}
  ~ForwardModeLevel() { torch::autograd::ForwardADLevel::release_idx(index_); }
  ForwardModeLevel(const ForwardModeLevel&) = delete;
  ForwardModeLevel& operator=(const ForwardModeLevel&) = delete;
  uint64_t index() const { return index_; }

 private:
  uint64_t index_;
};

}  // namespace

OutputAndDerivative directional_derivative(const std::function<torch::Tensor()>& forward,
                                           const std::vector<torch::Tensor>& params,
                                           const std::vector<torch::Tensor>& direction) {
  TORCH_CHECK(params.size() == direction.size(), "directional_derivative: ", params.size(),
              " parameters vs ", direction.size(), " directions");
  torch::NoGradGuard no_graph;
  const ForwardModeLevel level;
  for (size_t i = 0; i < params.size(); ++i)
    if (direction[i].defined())
      params[i]._set_fw_grad(direction[i].detach(), level.index(), /*is_inplace_op=*/false);
  const auto dual = forward();
  auto [output, derivative] = at::_unpack_dual(dual, static_cast<int64_t>(level.index()));
  // Handles, not copies: the level's end drops the tangents' links to `dual`, not the tensors.
  OutputAndDerivative r;
  r.output = output;
  r.derivative = derivative.defined() ? derivative : torch::zeros_like(output);
  return r;
}

}  // namespace lagm::nn

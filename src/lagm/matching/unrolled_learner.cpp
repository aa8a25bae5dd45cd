#include "lagm/matching/unrolled_learner.h"

#include <torch/torch.h>

#include "lagm/core/error.h"

namespace lagm::matching {
namespace {

std::vector<torch::Tensor> values_of(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors) out.push_back(t.detach().clone());
  return out;
}

// Writes `values` into the leaves `inner` without recording it (the leaves stay leaves).
void assign(const std::vector<torch::Tensor>& inner, const std::vector<torch::Tensor>& values) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < inner.size(); ++i) inner[i].copy_(values[i]);
}

// d loss / d inner, values only; parameters the loss does not reach get zeros.
std::vector<torch::Tensor> value_gradient(const torch::Tensor& loss,
                                          const std::vector<torch::Tensor>& inner) {
  auto grads = torch::autograd::grad({loss}, inner, {}, /*retain_graph=*/false,
                                     /*create_graph=*/false, /*allow_unused=*/true);
  for (size_t i = 0; i < grads.size(); ++i)
    grads[i] = grads[i].defined() ? grads[i].detach() : torch::zeros_like(inner[i]);
  return grads;
}

}  // namespace

UnrolledResult unrolled_meta_backward(const std::vector<torch::Tensor>& inner,
                                      const std::vector<torch::Tensor>& outer,
                                      const std::function<torch::Tensor(bool)>& inner_loss,
                                      const std::function<torch::Tensor()>& meta_loss,
                                      const UnrolledOptions& options) {
  if (options.inner_steps < 1)
    throw InputError("inner_steps must be >= 1 (got " + std::to_string(options.inner_steps) + ")");
  UnrolledResult result;
  const auto start = values_of(inner);

  // Forward: theta_0 .. theta_k, values only.
  std::vector<std::vector<torch::Tensor>> thetas{start};
  {
    torch::NoGradGuard no_grad;
    result.meta_loss_first = meta_loss().item<double>();
  }
  for (int64_t t = 0; t < options.inner_steps; ++t) {
    const auto loss = inner_loss(/*outer_graph=*/false);
    if (t == 0) result.inner_loss_first = loss.item<double>();
    const auto g = value_gradient(loss, inner);
    std::vector<torch::Tensor> next;
    next.reserve(g.size());
    for (size_t i = 0; i < g.size(); ++i)
      next.push_back(thetas.back()[i] - options.inner_lr * g[i]);
    assign(inner, next);
    thetas.push_back(std::move(next));
  }
  const auto final_loss = meta_loss();
  result.meta_loss = final_loss.item<double>();
  auto u = value_gradient(final_loss, inner);  // u_k

  // Reverse: at each theta_t, the gradient of <g(theta_t, A), u> gives u^T dg/dA and H u.
  std::vector<torch::Tensor> targets(outer.begin(), outer.end());
  targets.insert(targets.end(), inner.begin(), inner.end());
  for (int64_t t = options.inner_steps - 1; t >= 0; --t) {
    assign(inner, thetas[static_cast<size_t>(t)]);
    const auto g = torch::autograd::grad({inner_loss(/*outer_graph=*/true)}, inner, {},
                                         /*retain_graph=*/true, /*create_graph=*/true,
                                         /*allow_unused=*/true);
    torch::Tensor dot = torch::zeros({}, u[0].options());
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i].defined()) dot = dot + (g[i] * u[i]).sum();
    if (!dot.requires_grad()) continue;  // the synthetic loss does not reach these parameters
    const auto grads = torch::autograd::grad({dot}, targets, {}, /*retain_graph=*/true,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    for (size_t i = 0; i < outer.size(); ++i) {
      if (!grads[i].defined()) continue;
      auto& slot = outer[i].mutable_grad();
      const auto step = -options.inner_lr * grads[i].detach();
      slot = slot.defined() ? slot + step : step;
    }
    for (size_t i = 0; i < inner.size(); ++i) {
      const auto& hu = grads[outer.size() + i];
      if (hu.defined()) u[i] = u[i] - options.inner_lr * hu.detach();
    }
  }
  assign(inner, start);
  return result;
}

}  // namespace lagm::matching

#include "lagm/nn/pruned_batch_norm.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <array>

namespace lagm::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

thread_local bool pruned_active = false;

// Per-channel values as [1, C, 1, 1] for broadcasting over [N, C, H, W].
torch::Tensor per_channel(const torch::Tensor& v) { return v.view({1, -1, 1, 1}); }

/// (grad_out, x, weight) -> (grad x, grad weight, grad bias): LibTorch's training-mode
/// BatchNorm backward, as a node of lagm's own so that its backward is ours. Unrequested outputs
/// are empty placeholders (a custom function's outputs must be defined).
class BatchNormBackward : public torch::autograd::Function<BatchNormBackward> {
 public:
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& grad_out,
                               const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& save_mean, const torch::Tensor& save_invstd,
                               double eps, std::vector<bool> mask) {
    ctx->save_for_backward({grad_out, x, weight, save_mean, save_invstd});
    ctx->saved_data["eps"] = eps;
    ctx->set_materialize_grads(false);
    auto [gx, gw, gb] =
        at::native_batch_norm_backward(grad_out, x, weight, {}, {}, save_mean, save_invstd,
                                       /*train=*/true, eps, {mask[0], mask[1], mask[2]});
    const auto defined = [&x](const torch::Tensor& t) {
      return t.defined() ? t : at::empty({0}, x.options());
    };
    return {defined(gx), defined(gw), defined(gb)};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &grad_out = saved[0], &x = saved[1], &weight = saved[2], &mean = saved[3],
               &invstd = saved[4];
    const double eps = ctx->saved_data["eps"].toDouble();
    const auto &ggx = grads[0], &ggw = grads[1], &ggb = grads[2];
    torch::Tensor grad_grad_out, grad_x, grad_w;
    if (ctx->needs_input_grad(0))
      grad_grad_out = output_gradient_term(x, weight, mean, invstd, eps, ggx, ggw, ggb);
    if (ctx->needs_input_grad(1) || ctx->needs_input_grad(2)) {
      // LibTorch's own terms: its BatchNorm backward differentiated by autograd.
      torch::AutoGradMode with_grad(true);
      const auto x_leaf = x.detach().requires_grad_(ctx->needs_input_grad(1));
      const auto w_leaf = weight.detach().requires_grad_(ctx->needs_input_grad(2));
      auto [gx, gw, gb] = at::native_batch_norm_backward(
          grad_out.detach(), x_leaf, w_leaf, {}, {}, mean, invstd, true, eps, {true, true, true});
      std::vector<torch::Tensor> outputs, upstream, inputs;
      const std::array<std::pair<torch::Tensor, torch::Tensor>, 3> terms = {
          std::pair{gx, ggx}, std::pair{gw, ggw}, std::pair{gb, ggb}};
      for (const auto& [out, g] : terms) {
        if (g.defined()) outputs.push_back(out), upstream.push_back(g);
      }
      if (ctx->needs_input_grad(1)) inputs.push_back(x_leaf);
      if (ctx->needs_input_grad(2)) inputs.push_back(w_leaf);
      if (!outputs.empty()) {
        auto got = torch::autograd::grad(outputs, inputs, upstream, /*retain_graph=*/false,
                                         /*create_graph=*/false, /*allow_unused=*/true);
        size_t i = 0;
        if (ctx->needs_input_grad(1)) grad_x = got[i++];
        if (ctx->needs_input_grad(2)) grad_w = got[i++];
      }
    }
    return {grad_grad_out, grad_x, grad_w, {}, {}, {}, {}};
  }

 private:
  // d/d(grad_out) of <ggx, grad x> + <ggw, grad weight> + <ggb, grad bias>: grad x is
  // gamma * invstd * P(grad_out) with P(v) = v - mean(v) - x_hat * mean(v * x_hat) per channel,
  // symmetric, so its adjoint applied to ggx is LibTorch's backward applied to ggx; grad weight is
  // sum(grad_out * x_hat), grad bias sum(grad_out).
  static torch::Tensor output_gradient_term(const torch::Tensor& x, const torch::Tensor& weight,
                                            const torch::Tensor& mean, const torch::Tensor& invstd,
                                            double eps, const torch::Tensor& ggx,
                                            const torch::Tensor& ggw, const torch::Tensor& ggb) {
    torch::Tensor term;
    if (ggx.defined()) {
      term = std::get<0>(at::native_batch_norm_backward(ggx, x, weight, {}, {}, mean, invstd, true,
                                                        eps, {true, false, false}));
    }
    if (ggw.defined()) {
      auto weighted = (x - per_channel(mean)) * per_channel(invstd * ggw);
      term = term.defined() ? term.add_(weighted) : weighted;
    }
    if (ggb.defined())
      term =
          term.defined() ? term.add_(per_channel(ggb)) : per_channel(ggb).expand_as(x).contiguous();
    return term;
  }
};

/// native_batch_norm in training mode whose backward is BatchNormBackward.
class PrunedBatchNorm : public torch::autograd::Function<PrunedBatchNorm> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               const torch::Tensor& running_mean, const torch::Tensor& running_var,
                               double momentum, double eps) {
    auto [y, save_mean, save_invstd] = at::native_batch_norm(
        x, weight, bias, running_mean, running_var, /*training=*/true, momentum, eps);
    ctx->save_for_backward({x, weight, save_mean, save_invstd});
    ctx->saved_data["eps"] = eps;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const std::vector<bool> mask = {ctx->needs_input_grad(0), ctx->needs_input_grad(1),
                                    ctx->needs_input_grad(2)};
    auto out = BatchNormBackward::apply(grads[0], saved[0], saved[1], saved[2], saved[3],
                                        ctx->saved_data["eps"].toDouble(), mask);
    return {mask[0] ? out[0] : torch::Tensor(),
            mask[1] ? out[1] : torch::Tensor(),
            mask[2] ? out[2] : torch::Tensor(),
            {},
            {},
            {},
            {}};
  }
};

}  // namespace

PrunedBatchNormDoubleBackward::PrunedBatchNormDoubleBackward(bool on) : previous_(pruned_active) {
  pruned_active = previous_ || on;
}

PrunedBatchNormDoubleBackward::~PrunedBatchNormDoubleBackward() { pruned_active = previous_; }

bool PrunedBatchNormDoubleBackward::active() { return pruned_active; }

torch::Tensor pruned_batch_norm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
  const auto& o = bn.options;
  const bool recorded = torch::GradMode::is_enabled() &&
                        (x.requires_grad() || bn.weight.requires_grad() || bn.bias.requires_grad());
  if (!bn.is_training() || !o.affine() || !recorded || at::autocast::is_cpu_enabled() ||
      at::autocast::is_enabled())
    return bn.forward(x);
  // The module's own momentum rule: with no momentum, the cumulative average.
  double momentum = o.momentum().value_or(0.0);
  if (o.track_running_stats() && bn.num_batches_tracked.defined()) {
    bn.num_batches_tracked.add_(1);
    if (!o.momentum()) momentum = 1.0 / bn.num_batches_tracked.item<double>();
  }
  return PrunedBatchNorm::apply(x, bn.weight, bn.bias, bn.running_mean, bn.running_var, momentum,
                                o.eps());
}

}  // namespace lagm::nn

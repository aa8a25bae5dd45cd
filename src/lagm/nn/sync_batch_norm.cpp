#include "lagm/nn/sync_batch_norm.h"

#include <torch/torch.h>

#include "lagm/core/squared.h"
#include "lagm/nn/pruned_batch_norm.h"
#include "lagm/nn/pruned_conv2d.h"

namespace lagm::nn {
namespace {

CrossProcessSum* g_sum = nullptr;  // set by the scope on the thread that runs the forward passes

// Sum over the processes with the same sum as its backward: d(sum_p x_p)/dx_q = 1 for every q, so
// each process's gradient is the sum of all processes' incoming gradients. The backward applies
// the function itself, so that a graph built for a second derivative records it.
class AllSum : public torch::autograd::Function<AllSum> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& local,
                               int64_t sum_address) {
    ctx->saved_data["sum"] = sum_address;
    // Autograd keeps only IValues between the passes: the sum travels as its address (it outlives
    // the graph: the scope lasts the whole training).
    return reinterpret_cast<CrossProcessSum*>(sum_address)  // NOLINT(performance-no-int-to-ptr)
        ->sum(local.clone());
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    auto* sum = reinterpret_cast<CrossProcessSum*>(  // NOLINT(performance-no-int-to-ptr)
        ctx->saved_data["sum"].toInt());
    return {AllSum::apply(grads[0], reinterpret_cast<int64_t>(sum)), torch::Tensor()};
  }
};

}  // namespace

SyncBatchNormScope::SyncBatchNormScope(CrossProcessSum& sum) { g_sum = &sum; }
SyncBatchNormScope::~SyncBatchNormScope() { g_sum = nullptr; }

torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
  if (!g_sum || !bn.is_training())
    return PrunedBatchNormDoubleBackward::active() ? pruned_batch_norm(bn, x) : bn.forward(x);
  const auto& o = bn.options;
  const int64_t channels = x.size(1);
  // Per channel: sum, sum of squares and count of this process's share, summed over processes.
  const auto local_count =
      torch::full({1}, static_cast<double>(x.numel()) / static_cast<double>(channels), x.options());
  const auto local = torch::cat({x.sum({0, 2, 3}), core::squared(x).sum({0, 2, 3}), local_count});
  const auto global = AllSum::apply(local, reinterpret_cast<int64_t>(g_sum));
  const auto count = global.narrow(0, 2 * channels, 1);
  const auto mean = global.narrow(0, 0, channels) / count;
  const auto var =
      (global.narrow(0, channels, channels) / count - core::squared(mean)).clamp_min(0);
  if (o.track_running_stats()) {
    torch::NoGradGuard no_grad;
    // The unbiased variance's n / (n - 1) as a tensor: no read-back to the host (a sync per layer
    // on an accelerator).
    const auto n = count.detach();
    const double momentum = o.momentum().value_or(0.1);
    bn.running_mean.mul_(1 - momentum).add_(mean.detach(), momentum);
    bn.running_var.mul_(1 - momentum).add_(var.detach() * (n / (n - 1).clamp_min(1)), momentum);
    bn.num_batches_tracked.add_(1);
  }
  auto y = (x - mean.view({1, -1, 1, 1})) * torch::rsqrt(var.view({1, -1, 1, 1}) + o.eps());
  if (o.affine()) y = y * bn.weight.view({1, -1, 1, 1}) + bn.bias.view({1, -1, 1, 1});
  return y;
}

torch::Tensor forward_sequential(torch::nn::SequentialImpl& seq, const torch::Tensor& x) {
  auto y = x;
  for (auto& child : seq) {
    if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(child.ptr()))
      y = batch_norm(*bn, y);
    else if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(child.ptr()))
      y = pruned_conv2d(*conv, y);
    else
      y = child.forward(y);
  }
  return y;
}

}  // namespace lagm::nn

// The MAML-style learner of the paper's appendix (its Algorithm 2): the segmenter takes k plain SGD
// steps on generated images labelled by the annotator, and the annotator is moved so that the
// segmenter's loss on the labelled images *after* those steps falls. Gradient matching is its
// one-step, first-order simplification; this learner is the comparison arm.
//
// The meta gradient is computed in reverse mode through the unrolled steps without a functional
// copy of the segmenter: the steps theta_{t+1} = theta_t - lr g(theta_t, A), g = d L_syn / d theta,
// are replayed backwards with the segmenter's parameters set to theta_t by value, and
//   d L / d A     += -lr u^T dg/dA (theta_t)          (a vector-Jacobian product through A's
//   labels) u_t            = u_{t+1} - lr H(theta_t) u_{t+1}  (H = dg/dtheta, a Hessian-vector
//   product)
// from u_k = d L_label / d theta at theta_k. Both products are the gradient of the scalar <g, u>
// with g built with create_graph, so a step costs k + 1 double backward passes and keeps only the k
// parameter vectors, not k graphs.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

namespace lagm::matching {

struct UnrolledOptions {
  int64_t inner_steps = 1;  ///< k (>= 1)
  double inner_lr = 0.01;   ///< the inner SGD steps' learning rate
};

struct UnrolledResult {
  double inner_loss_first = 0;  ///< L_syn at the starting parameters
  double meta_loss_first = 0;   ///< L_label at the starting parameters
  double meta_loss = 0;         ///< L_label after the k inner steps (what the gradient lowers)
};

/// `inner` are leaf tensors that both losses read (the segmenter's parameters taking the inner
/// steps); they are changed in place during the call and hold their starting values again on
/// return. `inner_loss(outer_graph)`: the synthetic loss at the current `inner`; with outer_graph
/// true it must be differentiable in `outer` (the annotator's parameters). `meta_loss()`: the
/// labelled loss at the current `inner`. Adds d meta_loss(theta_k) / d outer to outer[i].grad().
UnrolledResult unrolled_meta_backward(const std::vector<torch::Tensor>& inner,
                                      const std::vector<torch::Tensor>& outer,
                                      const std::function<torch::Tensor(bool)>& inner_loss,
                                      const std::function<torch::Tensor()>& meta_loss,
                                      const UnrolledOptions& options);

}  // namespace lagm::matching

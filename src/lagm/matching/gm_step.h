// One iteration of Algorithm 1 (phase I of LAGM), exactly as the reference runs it (golden README
// kind `lagm_gm_step`):
//   phase A: the annotator A is updated so that the segmenter's gradient on generated images
//            labelled by A matches its gradient on the real labelled batch;
//   phase S: the segmenter S is updated on generated images labelled by A (eval mode).
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lagm/annotator/transform_pipe.h"
#include "lagm/matching/gradient_matching.h"
#include "lagm/matching/unrolled_learner.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"
#include "lagm/train/precision.h"
#include "lagm/train/segmentation_loss.h"

namespace lagm::train {
class ProcessGroup;
class GroupSum;
class RandomStreams;
}  // namespace lagm::train

namespace lagm::matching {

/// What phase A computed (tensors detached; gradients are A's, after nan_to_num, before the step).
struct AnnotatorPhaseResult {
  double loss_label = 0, loss_synthetic = 0, loss_gm = 0;
  /// CE of A's labels against the pseudo-labeller's (NaN when there is none).
  double loss_pseudo_label = std::numeric_limits<double>::quiet_NaN();
  /// [B, 3, R, R]; data-parallel: this process's rows of the batch (so for soft_labels).
  torch::Tensor synthetic_images;
  torch::Tensor soft_labels;                   ///< softmax(A(features)) [B, K, R, R]
  std::vector<torch::Tensor> annotator_grads;  ///< in A->named_parameters() order
};

/// What phase S computed.
struct SegmenterPhaseResult {
  double loss_synthetic = 0;
  double loss_label = 0;  ///< CE of S on the labelled batch (0 when it is not trained on it)
};

/// Runs phases A and S on borrowed networks and optimizers.
class GradientMatchingStep {
 public:
  /// `gm_params_regex` is matched in full against S's parameter names.
  GradientMatchingStep(models::FeatureGenerator& generator, models::AnnotatorFPN annotator,
                       models::Segmenter& segmenter, torch::optim::Optimizer& annotator_optimizer,
                       torch::optim::Optimizer& segmenter_optimizer,
                       const std::string& gm_params_regex, MatcherOptions matcher,
                       annotator::TransformOptions transform = {});
  ~GradientMatchingStep();

  /// Puts A and S in train mode with every parameter requiring grad (the reference's loop entry).
  void begin_training();
  /// Class-balanced matching: both losses of phase A (labelled and synthetic) weigh class c by
  /// w_c (class_balance_weights). Undefined (the default) = the reference's unweighted losses.
  /// Why: a part covering 1 % of the pixels contributes 1 % of every shared gradient row, so the
  /// cosine of those rows barely sees whether the annotator labels it.
  void set_class_weights(const torch::Tensor& weights) { class_weights_ = weights; }
  /// Phase A also pulls A's labels towards `labeller`'s arg-max labels of the same generated
  /// images (as synthesis writes them, 8-bit): loss_gm + weight * CE(A's logits, labeller's
  /// labels). `labeller` is borrowed and must outlive the step; nullptr or weight 0 = matching
  /// alone (the reference).
  /// The labeller is put in eval mode here (its BatchNorm running statistics), once.
  void set_pseudo_labeller(models::Segmenter* labeller, double weight) {
    pseudo_labeller_ = labeller;
    pseudo_label_weight_ = weight;
    if (labeller) labeller->module().eval();
  }
  /// Phase A by the MAML learner instead of gradient matching (the paper's Algorithm 2): S takes
  /// `options.inner_steps` SGD steps on the generated batch labelled by A, and A follows the
  /// gradient of the labelled loss after them (unrolled_meta_backward over the matched parameters;
  /// S's parameters and BatchNorm statistics are put back after). Phase S is unchanged. The
  /// result's loss_gm holds the meta loss. nullopt = gradient matching (the reference).
  void set_unrolled_learner(std::optional<UnrolledOptions> options) { unrolled_ = options; }
  /// Low-memory phase A: the segmenter's gradient on the generated batch is taken by a plain
  /// backward (its activations freed with it), and A's gradient, which the reference gets by
  /// differentiating that gradient again (a double backward that keeps S's whole forward pass and
  /// the graph of its backward), from one more forward pass of S in forward mode: the matching
  /// loss's gradient v with respect to S's gradient g = J^T r(labels) enters as J v, the change of
  /// S's logits along v, and A receives d<r(labels), J v>/d labels. The same derivative, summed in
  /// another order (float rounding apart; tested against the reference in float64); S's
  /// BatchNorm statistics and the random stream of its dropout are those of one forward pass.
  /// One process, gradient-matching learner; phase S unchanged.
  void set_low_memory(bool on) { low_memory_ = on; }
  /// Data-parallel phase I: every process of `group` (borrowed; nullptr = one process) calls the
  /// phases with the same whole batches (labelled images and latents) and takes its share of both.
  /// The labelled target gradient and the synthetic gradient are summed over the processes as
  /// values, each process back-propagates the matching loss through its own share, A's and S's
  /// gradients are summed before the optimizers step, and every BatchNorm layer of A and S
  /// normalises with the whole batch's statistics; the generators draw the whole batch's noise.
  /// So a step is one process's step to float rounding (tested), when S has no dropout: DeepLab's
  /// dropout draws per process (the random stream is put back after it, so that every process
  /// keeps drawing the same batches).
  /// `sync_batch_norm` false: each process normalises with its share's statistics (DDP's default;
  /// not the one-process step).
  void set_process_group(train::ProcessGroup* group, bool sync_batch_norm = true);
  /// Fast mode (train::Precision::kBf16): G's synthesis blocks in bfloat16
  /// (FeatureGenerator::set_bfloat16); A's forward passes, S's forward on the labelled batch and
  /// all of phase S under bfloat16 autocast, A's weights channels-last; losses stay float32. S's
  /// forward on the generated batch of phase A stays float32: its gradient is differentiated
  /// again, and LibTorch 1.13's CPU bfloat16 convolution fails in double backward (a shape error
  /// inside its formula); nn::pruned_conv2d's would run, but measured no faster. One process,
  /// gradient-matching learner only.
  void set_precision(train::Precision precision);

  AnnotatorPhaseResult annotator_phase(const torch::Tensor& label_images,
                                       const torch::Tensor& label_masks, const torch::Tensor& z);
  /// Phase S; with label_weight > 0 it also trains S on the labelled batch:
  /// L_S + label_weight * CE(S(x_l), y_l) (ignore label 255). label_weight 0 is the reference's.
  SegmenterPhaseResult segmenter_phase(const torch::Tensor& z,
                                       const torch::Tensor& label_images = {},
                                       const torch::Tensor& label_masks = {},
                                       double label_weight = 0);

  /// Names of the matched S parameters, in registration order.
  const std::vector<std::string>& gm_param_names() const { return gm_names_; }

 private:
  models::FeatureGenerator& generator_;
  models::AnnotatorFPN annotator_;
  models::Segmenter& segmenter_;
  torch::optim::Optimizer& opt_a_;
  torch::optim::Optimizer& opt_s_;
  MatcherOptions matcher_;
  annotator::TransformOptions transform_;
  std::vector<std::string> gm_names_;
  std::vector<torch::Tensor> gm_params_;
  torch::Tensor class_weights_;
  models::Segmenter* pseudo_labeller_ = nullptr;
  double pseudo_label_weight_ = 0;
  std::optional<UnrolledOptions> unrolled_;
  train::ProcessGroup* group_ = nullptr;
  bool sync_batch_norm_ = true;
  std::unique_ptr<train::GroupSum> group_sum_;
  bool bf16_ = false;
  bool low_memory_ = false;

  // What both forms of each phase do first and last: modes, gradient flags, cleared gradients; the
  // step with non-finite gradients zeroed (A's recorded in `r`).
  void begin_annotator_phase();
  /// Phase A's loss, the matching distance of g_syn to g_label plus the pull (undefined = none),
  /// differentiated into `inputs` only (their .grad: A's parameters, or A's labels as a leaf);
  /// returns the matching loss.
  double backward_matching(std::vector<torch::Tensor> g_syn, std::vector<torch::Tensor> g_label,
                           const torch::Tensor& pull, const std::vector<torch::Tensor>& inputs);
  /// A run again on `batch` from the random draws of its first run, its labels' gradient
  /// `d_logits` taken on into A's parameters; the random streams left as they were.
  void rerun_annotator_backward(const models::GeneratedBatch& batch,
                                const train::RandomStreams& before_annotator,
                                const torch::Tensor& d_logits);
  /// S's gradient on the labelled batch, detached (the matching target); its loss goes to `r`.
  std::vector<torch::Tensor> labelled_target_gradient(const torch::Tensor& label_images,
                                                      const torch::Tensor& label_masks,
                                                      AnnotatorPhaseResult& r);
  /// A generated batch's images and A's logits for them, through the transform (differentiable in
  /// A unless grad mode is off).
  std::pair<torch::Tensor, torch::Tensor> annotate(const models::GeneratedBatch& batch);
  void step_annotator(AnnotatorPhaseResult& r);
  void begin_segmenter_phase();
  void step_segmenter();
  // The data-parallel phases (gm_step_data_parallel.cpp); one process keeps the reference's code.
  AnnotatorPhaseResult annotator_phase_shared(const torch::Tensor& label_images,
                                              const torch::Tensor& label_masks,
                                              const torch::Tensor& z);
  SegmenterPhaseResult segmenter_phase_shared(const torch::Tensor& z,
                                              const torch::Tensor& label_images,
                                              const torch::Tensor& label_masks,
                                              double label_weight);
  // Phase A of the MAML learner (gm_step_unrolled.cpp).
  AnnotatorPhaseResult annotator_phase_unrolled(const torch::Tensor& label_images,
                                                const torch::Tensor& label_masks,
                                                const torch::Tensor& z);
  // Phase A of the low-memory mode (gm_step_low_memory.cpp).
  AnnotatorPhaseResult annotator_phase_low_memory(const torch::Tensor& label_images,
                                                  const torch::Tensor& label_masks,
                                                  const torch::Tensor& z);
  // The pseudo-labeller's pull: CE of A's logits against the labeller's arg-max labels of the same
  // images (undefined when there is none).
  torch::Tensor pseudo_label_loss(const torch::Tensor& syn_img, const torch::Tensor& logits) const;
  // Fast mode: images stored channels-last, so that the bfloat16 convolutions they enter take
  // oneDNN's channels-last kernels (S's weights stay NCHW for its float32 double backward).
  torch::Tensor fast_input(const torch::Tensor& images) const;
  // Fast mode: a network's output back in float32 for the losses; otherwise the output as it is
  // (float64 in the float64 checks).
  torch::Tensor from_fast(const torch::Tensor& output) const;
  // This process's share of a whole batch of latents, generated with the whole batch's noise.
  models::GeneratedBatch generate_share(const torch::Tensor& z) const;
};

}  // namespace lagm::matching

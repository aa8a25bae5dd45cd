#include "lagm/matching/gm_step.h"

#include <torch/torch.h>

#include <cmath>
#include <regex>

#include "lagm/core/error.h"
#include "lagm/core/module_grads.h"
#include "lagm/io/image.h"
#include "lagm/nn/pruned_batch_norm.h"
#include "lagm/nn/pruned_conv2d.h"
#include "lagm/train/distributed.h"
#include "lagm/train/training_state.h"

namespace lagm::matching {
namespace F = torch::nn::functional;

using core::clear_grads;
using core::nan_to_num_grads;
using core::set_requires_grad;

GradientMatchingStep::GradientMatchingStep(
    models::FeatureGenerator& generator, models::AnnotatorFPN annotator,
    models::Segmenter& segmenter, torch::optim::Optimizer& annotator_optimizer,
    torch::optim::Optimizer& segmenter_optimizer, const std::string& gm_params_regex,
    MatcherOptions matcher, annotator::TransformOptions transform)
    : generator_(generator),
      annotator_(std::move(annotator)),
      segmenter_(segmenter),
      opt_a_(annotator_optimizer),
      opt_s_(segmenter_optimizer),
      matcher_(matcher),
      transform_(transform) {
  const std::regex re(gm_params_regex);
  for (const auto& p : segmenter_.module().named_parameters()) {
    if (std::regex_match(p.key(), re)) {
      gm_names_.push_back(p.key());
      gm_params_.push_back(p.value());
    }
  }
  if (gm_params_.empty())
    throw InputError("gm_params_regex '" + gm_params_regex + "' matches no parameter of the " +
                     models::arch_name(segmenter_.config().arch) + " segmenter");
}

GradientMatchingStep::~GradientMatchingStep() = default;

void GradientMatchingStep::set_process_group(train::ProcessGroup* group, bool sync_batch_norm) {
  group_ = group;
  sync_batch_norm_ = sync_batch_norm;
  group_sum_ = group ? std::make_unique<train::GroupSum>(*group) : nullptr;
}

void GradientMatchingStep::set_precision(train::Precision precision) {
  bf16_ = precision == train::Precision::kBf16;
  generator_.set_bfloat16(bf16_);
  if (!bf16_) return;
  train::to_channels_last(*annotator_);
  train::to_channels_last(segmenter_.module());
}

torch::Tensor GradientMatchingStep::fast_input(const torch::Tensor& images) const {
  return bf16_ ? images.contiguous(at::MemoryFormat::ChannelsLast) : images;
}

torch::Tensor GradientMatchingStep::from_fast(const torch::Tensor& output) const {
  return bf16_ ? output.to(torch::kFloat32) : output;
}

void GradientMatchingStep::begin_training() {
  annotator_->train();
  segmenter_.module().train();
  set_requires_grad(*annotator_, true);
  set_requires_grad(segmenter_.module(), true);
}

void GradientMatchingStep::begin_annotator_phase() {
  clear_grads(*annotator_);
  segmenter_.module().train();
  // Only the matched parameters: phase A differentiates nothing else of S, and a parameter that
  // requires grad makes every layer above it keep its activations (the first step's phase A, after
  // begin_training, would keep DeepLab's whole backbone for a head-only match: its peak).
  set_requires_grad(segmenter_.module(), false);
  for (auto& p : gm_params_) p.set_requires_grad(true);
  annotator_->train();
  set_requires_grad(*annotator_, true);
}

double GradientMatchingStep::backward_matching(std::vector<torch::Tensor> g_syn,
                                               std::vector<torch::Tensor> g_label,
                                               const torch::Tensor& pull,
                                               const std::vector<torch::Tensor>& inputs) {
  // The reference calls loss.backward(), which also walks the double-backward graph down every
  // layer of S to fill S's .grad with second-order terms that phase S then clears unused (for the
  // U-Net's up4+outc, the whole U-Net below them). Naming A's labels or parameters as the inputs
  // prunes those branches, and S's convolutions (nn::pruned_conv2d) skip the terms inside a node
  // that only S would need; A's gradient is the same sum of the same terms, bit for bit. g_label
  // and the distance's intermediates are released before the double backward
  // (backward_gradient_match).
  return backward_gradient_match(std::move(g_syn), std::move(g_label), pull, matcher_, inputs);
}

void GradientMatchingStep::step_annotator(AnnotatorPhaseResult& r) {
  nan_to_num_grads(*annotator_);
  for (auto& p : annotator_->parameters()) r.annotator_grads.push_back(p.grad());
  opt_a_.step();
  annotator_->eval();
  set_requires_grad(*annotator_, false);
}

void GradientMatchingStep::begin_segmenter_phase() {
  clear_grads(segmenter_.module());
  segmenter_.module().train();
  set_requires_grad(segmenter_.module(), true);
}

void GradientMatchingStep::step_segmenter() {
  nan_to_num_grads(segmenter_.module());
  opt_s_.step();
  // S's gradient has been spent: released now rather than at the next S phase, so that it is not
  // held through phase A, where the step's memory peaks (one copy of S's parameters; the
  // reference keeps it as zeros). The next S phase starts from no gradient either way.
  clear_grads(segmenter_.module());
  segmenter_.module().eval();
  set_requires_grad(segmenter_.module(), false);
}

torch::Tensor GradientMatchingStep::pseudo_label_loss(const torch::Tensor& syn_img,
                                                      const torch::Tensor& logits) const {
  if (!pseudo_labeller_ || pseudo_label_weight_ <= 0) return {};
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    target = pseudo_labeller_->forward(io::as_synthesized(syn_img.detach())).argmax(1);
  }
  return F::cross_entropy(logits, target);
}

std::vector<torch::Tensor> GradientMatchingStep::labelled_target_gradient(
    const torch::Tensor& label_images, const torch::Tensor& label_masks, AnnotatorPhaseResult& r) {
  // The segmenter's gradient on the real labelled batch (hard-label CE, mean over pixels).
  // Differentiated once, so fast mode may run it in bfloat16.
  torch::Tensor label_logits;
  {
    const train::Bf16Autocast autocast(bf16_, label_images.device());
    label_logits = segmenter_.forward(fast_input(label_images));
  }
  const auto loss_label =
      train::labelled_cross_entropy(from_fast(label_logits), label_masks, class_weights_);
  auto g_label = torch::autograd::grad({loss_label}, gm_params_);
  for (auto& g : g_label) g = g.detach();
  r.loss_label = loss_label.item<double>();
  return g_label;
}

std::pair<torch::Tensor, torch::Tensor> GradientMatchingStep::annotate(
    const models::GeneratedBatch& batch) {
  torch::Tensor a_logits;
  {
    const train::Bf16Autocast autocast(bf16_, batch.img.device());
    a_logits = annotator_->forward(batch.features);
  }
  return annotator::apply_transform(transform_, batch.img, from_fast(a_logits));
}

AnnotatorPhaseResult GradientMatchingStep::annotator_phase(const torch::Tensor& label_images,
                                                           const torch::Tensor& label_masks,
                                                           const torch::Tensor& z) {
  if (group_) return annotator_phase_shared(label_images, label_masks, z);
  if (unrolled_) return annotator_phase_unrolled(label_images, label_masks, z);
  if (low_memory_) return annotator_phase_low_memory(label_images, label_masks, z);
  AnnotatorPhaseResult r;
  begin_annotator_phase();
  auto g_label = labelled_target_gradient(label_images, label_masks, r);

  // The same gradient on generated images labelled by A, kept differentiable in A's labels. In
  // exact mode A's labels enter as a leaf, so that A's activations are not held through S's double
  // backward (a third of a GiB at 256 px); A runs again afterwards on the same random draws and
  // the leaf's gradient goes on through it. The leaf sums at most two terms (the labels' and the
  // pull's), in either order the same floats, so A's gradient is the one-graph gradient bit for
  // bit. Fast mode holds A's bfloat16 activations instead of spending a second forward pass.
  const auto batch = generator_.generate_for_autocast(z);  // A reads it under autocast only
  const auto device = batch.img.device();
  const bool annotator_twice = !bf16_;
  const train::RandomStreams before_annotator(device);
  torch::Tensor syn_img, logits;
  {
    const torch::AutoGradMode graph(!annotator_twice);
    std::tie(syn_img, logits) = annotate(batch);
  }
  if (annotator_twice) logits = logits.detach().requires_grad_();
  const train::BufferSnapshot annotator_statistics(*annotator_);
  auto probs = torch::softmax(logits, 1);
  torch::Tensor s_logits;
  {
    // Fast mode: S's convolutions in bfloat16 (BatchNorm float32), and BatchNorm's second
    // derivative only where A's gradient needs it.
    const nn::ConvolutionsInBf16 convolutions_in_bf16(bf16_);
    const nn::PrunedBatchNormDoubleBackward batch_norm_output_term_only(bf16_);
    s_logits = segmenter_.forward(syn_img);
  }
  auto loss_syn = train::soft_cross_entropy(s_logits, probs, class_weights_);
  auto g_syn =
      torch::autograd::grad({loss_syn}, gm_params_, /*grad_outputs=*/{}, /*retain_graph=*/true,
                            /*create_graph=*/true);
  torch::Tensor pull;
  if (const auto loss_pl = pseudo_label_loss(syn_img, logits); loss_pl.defined()) {
    pull = pseudo_label_weight_ * loss_pl;
    r.loss_pseudo_label = loss_pl.item<double>();
  }
  r.loss_gm = backward_matching(
      std::move(g_syn), std::move(g_label), pull,
      annotator_twice ? std::vector<torch::Tensor>{logits} : annotator_->parameters());
  if (annotator_twice && logits.grad().defined())
    rerun_annotator_backward(batch, before_annotator, logits.grad());
  // After the backward: A's BatchNorm nodes saved the statistics and check their versions.
  annotator_statistics.restore();
  step_annotator(r);

  r.loss_synthetic = loss_syn.item<double>();
  r.synthetic_images = syn_img;
  r.soft_labels = probs.detach();
  return r;
}

void GradientMatchingStep::rerun_annotator_backward(const models::GeneratedBatch& batch,
                                                    const train::RandomStreams& before_annotator,
                                                    const torch::Tensor& d_logits) {
  const train::RandomStreams after_segmenter(batch.img.device());
  before_annotator.restore();
  const auto logits = annotate(batch).second;
  after_segmenter.restore();
  torch::autograd::backward({logits}, {d_logits}, /*retain_graph=*/false, /*create_graph=*/false,
                            annotator_->parameters());
}

SegmenterPhaseResult GradientMatchingStep::segmenter_phase(const torch::Tensor& z,
                                                           const torch::Tensor& label_images,
                                                           const torch::Tensor& label_masks,
                                                           double label_weight) {
  if (group_) return segmenter_phase_shared(z, label_images, label_masks, label_weight);
  SegmenterPhaseResult r;
  begin_segmenter_phase();
  // Fast mode: every forward pass of this phase in bfloat16 (only single backward follows).
  torch::Tensor probs, syn_img;
  {
    // G's features go out of scope with A's labels made: they are not held while S trains.
    const auto batch = generator_.generate_for_autocast(z);
    const train::Bf16Autocast autocast(bf16_, batch.img.device());
    torch::NoGradGuard no_grad;  // A is in eval mode here: BatchNorm running statistics
    auto [img, logits] = annotator::apply_transform(transform_, batch.img,
                                                    from_fast(annotator_->forward(batch.features)));
    probs = torch::softmax(logits, 1);
    syn_img = img;
  }
  const train::Bf16Autocast autocast(bf16_, syn_img.device());
  auto loss_syn =
      train::soft_cross_entropy(from_fast(segmenter_.forward(fast_input(syn_img))), probs);
  auto loss = loss_syn;
  if (label_weight > 0) {
    // The labelled images go through S on their own, as in phase A (their own BN statistics).
    const auto loss_label =
        F::cross_entropy(from_fast(segmenter_.forward(fast_input(label_images))), label_masks,
                         F::CrossEntropyFuncOptions().ignore_index(255));
    loss = loss_syn + label_weight * loss_label;
    r.loss_label = loss_label.item<double>();
  }
  loss.backward();
  step_segmenter();
  r.loss_synthetic = loss_syn.item<double>();
  return r;
}

}  // namespace lagm::matching

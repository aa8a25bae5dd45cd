// Phase A in low-memory mode (GradientMatchingStep::set_low_memory): the double backward through
// the segmenter replaced by a plain backward and one forward-mode pass.
//
// S's gradient on the generated batch is g = J^T r(y): J = d logits / d theta (S's matched
// parameters; it does not depend on the labels y), r = d loss / d logits, a function of y. The
// matching loss D(g) reaches A through y only, and for v = dD/dg,
//   dD/dy = (dg/dy)^T v = (dr/dy)^T (J v),
// so A needs J v, the change of S's logits along v, which a forward-mode pass of S gives without
// keeping anything, then the small derivative of <r(y), J v> in y. A's forward pass is run twice
// too, so that its activations are not held while S runs.
#include <torch/torch.h>

#include "lagm/matching/gm_step.h"
#include "lagm/nn/directional_derivative.h"
#include "lagm/train/training_state.h"

namespace lagm::matching {

AnnotatorPhaseResult GradientMatchingStep::annotator_phase_low_memory(
    const torch::Tensor& label_images, const torch::Tensor& label_masks, const torch::Tensor& z) {
  AnnotatorPhaseResult r;
  begin_annotator_phase();
  auto g_label = labelled_target_gradient(label_images, label_masks, r);
  const auto batch = generator_.generate(z);
  const auto device = batch.img.device();
  // A's labels without A's graph: its activations would be held through both passes of S. A runs
  // again below, with its graph, once S's passes are done.
  const train::RandomStreams before_annotator(device);
  torch::Tensor syn_img, targets;
  {
    torch::NoGradGuard no_graph;
    const auto [img, logits] = annotate(batch);
    syn_img = img;
    targets = torch::softmax(logits, 1);
  }
  const train::BufferSnapshot annotator_statistics(*annotator_);

  // g, differentiated once: S's activations on the generated batch go with this backward.
  const train::RandomStreams before_segmenter(device);
  auto s_logits = segmenter_.forward(syn_img);
  const auto loss_syn = train::soft_cross_entropy(s_logits, targets, class_weights_);
  auto g_syn = torch::autograd::grad({loss_syn}, gm_params_);
  s_logits = s_logits.detach();
  auto match = match_loss_gradient(g_syn, std::move(g_label), matcher_);
  g_syn.clear();
  const train::BufferSnapshot segmenter_statistics(segmenter_.module());
  const train::RandomStreams after_segmenter(device);

  // J v: S again on the same batch, with its first pass's dropout draws and batch statistics.
  before_segmenter.restore();
  const auto change = nn::directional_derivative([&] { return segmenter_.forward(syn_img); },
                                                 gm_params_, match.d_synthetic);
  segmenter_statistics.restore();

  // <r(y), J v>, differentiated in y and on into A (run again, now with its graph), with the pull.
  before_annotator.restore();
  const auto [img, logits] = annotate(batch);
  after_segmenter.restore();
  const auto probs = torch::softmax(logits, 1);
  const auto logits_leaf = s_logits.requires_grad_();
  const auto r_of_labels =
      torch::autograd::grad({train::soft_cross_entropy(logits_leaf, probs, class_weights_)},
                            {logits_leaf}, /*grad_outputs=*/{}, /*retain_graph=*/false,
                            /*create_graph=*/true)[0];
  auto total = (r_of_labels * change.derivative).sum();
  if (const auto loss_pl = pseudo_label_loss(img, logits); loss_pl.defined()) {
    total = total + pseudo_label_weight_ * loss_pl;
    r.loss_pseudo_label = loss_pl.item<double>();
  }
  torch::autograd::backward({total}, {}, /*retain_graph=*/false, /*create_graph=*/false,
                            annotator_->parameters());
  // After the backward: A's BatchNorm nodes saved the statistics and check their versions.
  annotator_statistics.restore();
  r.loss_gm = match.loss;
  step_annotator(r);

  r.loss_synthetic = loss_syn.item<double>();
  r.synthetic_images = syn_img;
  r.soft_labels = probs.detach();
  return r;
}

}  // namespace lagm::matching

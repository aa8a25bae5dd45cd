// Phase A by the MAML learner: the annotator's gradient is the labelled loss's after k unrolled
// SGD steps of the segmenter on generated images labelled by the annotator (unrolled_learner.h).
#include <torch/torch.h>

#include "lagm/matching/gm_step.h"
#include "lagm/train/training_state.h"

namespace lagm::matching {

AnnotatorPhaseResult GradientMatchingStep::annotator_phase_unrolled(
    const torch::Tensor& label_images, const torch::Tensor& label_masks, const torch::Tensor& z) {
  AnnotatorPhaseResult r;
  begin_annotator_phase();
  // The inner steps run S forward 2k + 2 times in training mode; its BatchNorm statistics are put
  // back afterwards so that only phase S moves them, as only phase S moves S's weights.
  const train::BufferSnapshot statistics(segmenter_.module());

  // A labels the batch once; its graph serves every step of the reverse sweep.
  auto batch = generator_.generate(z);
  // Named tensors, not a structured binding: the lambdas below capture them.
  const auto transformed =
      annotator::apply_transform(transform_, batch.img, annotator_->forward(batch.features));
  const torch::Tensor& syn_img = transformed.first;
  const torch::Tensor& logits = transformed.second;
  const auto probs = torch::softmax(logits, 1);
  const auto unrolled = unrolled_meta_backward(
      gm_params_, annotator_->parameters(),
      [&](bool outer_graph) {
        return train::soft_cross_entropy(segmenter_.forward(syn_img),
                                         outer_graph ? probs : probs.detach(), class_weights_);
      },
      [&] {
        return train::labelled_cross_entropy(segmenter_.forward(label_images), label_masks,
                                             class_weights_);
      },
      *unrolled_);
  if (const auto loss_pl = pseudo_label_loss(syn_img, logits); loss_pl.defined()) {
    (pseudo_label_weight_ * loss_pl).backward();  // adds to the meta gradient in A's .grad
    r.loss_pseudo_label = loss_pl.item<double>();
  }
  statistics.restore();
  step_annotator(r);

  r.loss_label = unrolled.meta_loss_first;
  r.loss_synthetic = unrolled.inner_loss_first;
  r.loss_gm = unrolled.meta_loss;
  r.synthetic_images = syn_img.detach();
  r.soft_labels = probs.detach();
  return r;
}

}  // namespace lagm::matching

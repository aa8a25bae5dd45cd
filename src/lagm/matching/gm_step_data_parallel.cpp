// Algorithm 1's two phases over the processes of a data-parallel run. Every process holds the same
// whole batches and networks; each computes its share's part of every sum the one-process step
// takes (the losses' numerators over the whole batch's normalisers), the sums cross the processes
// by all-reduce, and the optimizers step with the summed gradients. With every BatchNorm layer
// synchronized, the step is one process's to float rounding.
#include <torch/torch.h>

#include <optional>

#include "lagm/core/error.h"
#include "lagm/core/module_grads.h"
#include "lagm/io/image.h"
#include "lagm/matching/gm_step.h"
#include "lagm/models/noise_share.h"
#include "lagm/nn/sync_batch_norm.h"
#include "lagm/train/distributed.h"
#include "lagm/train/training_state.h"

namespace lagm::matching {
namespace F = torch::nn::functional;

namespace {

// Rows [begin, end) of a whole batch that this process takes.
struct Share {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
  torch::Tensor of(const torch::Tensor& whole) const { return whole.narrow(0, begin, size()); }
};

Share share_of(int64_t batch, const train::ProcessGroup& group) {
  const auto [begin, end] = train::rank_rows(batch, group.rank(), group.world_size());
  if (end == begin)
    throw UsageError("phase I: a batch of " + std::to_string(batch) +
                     " cannot be shared out among " + std::to_string(group.world_size()) +
                     " processes; use a larger batch or fewer processes");
  return {begin, end};
}

// A forward pass of S in training mode may draw from the random streams (DeepLab's dropout), and a
// share's draws differ in size from process to process; the streams are put back as they were, so
// that every process keeps drawing the same batches.
class StreamKeeper {
 public:
  explicit StreamKeeper(torch::Device device) : streams_(device) {}
  ~StreamKeeper() { streams_.restore(); }
  StreamKeeper(const StreamKeeper&) = delete;
  StreamKeeper& operator=(const StreamKeeper&) = delete;

 private:
  train::RandomStreams streams_;
};

// The labelled loss of this process's share over the whole batch's normaliser: summed over the
// processes it is the one-process loss (the mean over valid pixels; with class weights, the mean
// over every pixel of w_y CE, ignored pixels counting 0).
torch::Tensor labelled_loss_share(const torch::Tensor& logits, const torch::Tensor& masks,
                                  const torch::Tensor& whole_masks,
                                  const torch::Tensor& class_weights) {
  auto options = F::CrossEntropyFuncOptions().ignore_index(255).reduction(torch::kSum);
  if (class_weights.defined())
    return F::cross_entropy(logits, masks, options.weight(class_weights.to(logits.options()))) /
           static_cast<double>(whole_masks.numel());
  const double valid = (whole_masks != 255).sum().item<double>();
  return F::cross_entropy(logits, masks, options) / valid;
}

// local + (sum - local): the value of the sum over the processes, the gradient of `local` alone.
// Each process back-propagates the (replicated) matching loss through its own share's gradient;
// the shares' contributions to A meet in A's gradient all-reduce.
std::vector<torch::Tensor> summed_keeping_local_graph(train::ProcessGroup& group,
                                                      const std::vector<torch::Tensor>& local) {
  const auto sums = train::all_reduced_sum(group, local);
  std::vector<torch::Tensor> out;
  out.reserve(local.size());
  for (size_t i = 0; i < local.size(); ++i) out.push_back(local[i] + (sums[i] - local[i].detach()));
  return out;
}

// The sums over the processes of a few numbers, in one all-reduce.
std::vector<double> summed(train::ProcessGroup& group, const std::vector<double>& values) {
  const auto t = train::all_reduced_sum(group, {torch::tensor(values, torch::kFloat64)})[0];
  return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

}  // namespace

models::GeneratedBatch GradientMatchingStep::generate_share(const torch::Tensor& z) const {
  const auto share = share_of(z.size(0), *group_);
  const models::NoiseShareScope noise(z.size(0), share.begin);
  return generator_.generate(share.of(z));
}

AnnotatorPhaseResult GradientMatchingStep::annotator_phase_shared(const torch::Tensor& label_images,
                                                                  const torch::Tensor& label_masks,
                                                                  const torch::Tensor& z) {
  auto& group = *group_;
  AnnotatorPhaseResult r;
  begin_annotator_phase();
  std::optional<nn::SyncBatchNormScope> sync;  // the whole batch's statistics (when asked)
  if (sync_batch_norm_) sync.emplace(*group_sum_);
  const auto device = label_images.device();

  // Target: the whole labelled batch's gradient, summed from the shares.
  const auto labelled = share_of(label_images.size(0), group);
  torch::Tensor loss_label;
  {
    const StreamKeeper keep(device);
    loss_label = labelled_loss_share(segmenter_.forward(labelled.of(label_images)),
                                     labelled.of(label_masks), label_masks, class_weights_);
  }
  auto g_label = train::all_reduced_sum(group, torch::autograd::grad({loss_label}, gm_params_));

  // The synthetic gradient: this share's part, differentiable in A, plus the others' as values.
  const auto generated = share_of(z.size(0), group);
  const auto batch = generate_share(z);
  auto [syn_img, logits] =
      annotator::apply_transform(transform_, batch.img, annotator_->forward(batch.features));
  auto probs = torch::softmax(logits, 1);
  const double fraction = static_cast<double>(generated.size()) / static_cast<double>(z.size(0));
  torch::Tensor loss_syn;
  {
    const StreamKeeper keep(device);
    loss_syn =
        train::soft_cross_entropy(segmenter_.forward(syn_img), probs, class_weights_) * fraction;
  }
  auto g_syn = summed_keeping_local_graph(
      group, torch::autograd::grad({loss_syn}, gm_params_, /*grad_outputs=*/{},
                                   /*retain_graph=*/true, /*create_graph=*/true));
  torch::Tensor pull;
  double loss_pl = std::numeric_limits<double>::quiet_NaN();
  torch::Tensor loss_pl_share;
  if (pseudo_labeller_ && pseudo_label_weight_ > 0) {
    torch::Tensor target;
    {
      torch::NoGradGuard no_grad;
      target = pseudo_labeller_->forward(io::as_synthesized(syn_img.detach())).argmax(1);
    }
    // Mean over the whole batch's pixels: this share's pixels count as its fraction of them.
    loss_pl_share =
        F::cross_entropy(logits, target, F::CrossEntropyFuncOptions().reduction(torch::kSum)) *
        (fraction / static_cast<double>(target.numel()));
    pull = pseudo_label_weight_ * loss_pl_share;
  }
  r.loss_gm =
      backward_matching(std::move(g_syn), std::move(g_label), pull, annotator_->parameters());
  train::all_reduce_gradients(group, *annotator_);
  step_annotator(r);

  const auto losses = summed(group, {loss_label.item<double>(), loss_syn.item<double>(),
                                     loss_pl_share.defined() ? loss_pl_share.item<double>() : 0.0});
  if (loss_pl_share.defined()) loss_pl = losses[2];
  r.loss_label = losses[0];
  r.loss_synthetic = losses[1];
  r.loss_pseudo_label = loss_pl;
  r.synthetic_images = syn_img.detach();
  r.soft_labels = probs.detach();
  return r;
}

SegmenterPhaseResult GradientMatchingStep::segmenter_phase_shared(const torch::Tensor& z,
                                                                  const torch::Tensor& label_images,
                                                                  const torch::Tensor& label_masks,
                                                                  double label_weight) {
  auto& group = *group_;
  SegmenterPhaseResult r;
  begin_segmenter_phase();
  std::optional<nn::SyncBatchNormScope> sync;  // the whole batch's statistics (when asked)
  if (sync_batch_norm_) sync.emplace(*group_sum_);
  const auto generated = share_of(z.size(0), group);
  const auto batch = generate_share(z);
  torch::Tensor probs, syn_img;
  {
    torch::NoGradGuard no_grad;  // A is in eval mode here: BatchNorm running statistics
    auto [img, logits] =
        annotator::apply_transform(transform_, batch.img, annotator_->forward(batch.features));
    probs = torch::softmax(logits, 1);
    syn_img = img;
  }
  const double fraction = static_cast<double>(generated.size()) / static_cast<double>(z.size(0));
  const StreamKeeper keep(z.device());
  auto loss_syn = train::soft_cross_entropy(segmenter_.forward(syn_img), probs) * fraction;
  auto loss = loss_syn;
  torch::Tensor loss_label;
  if (label_weight > 0) {
    const auto labelled = share_of(label_images.size(0), group);
    loss_label = labelled_loss_share(segmenter_.forward(labelled.of(label_images)),
                                     labelled.of(label_masks), label_masks, {});
    loss = loss_syn + label_weight * loss_label;
  }
  loss.backward();
  train::all_reduce_gradients(group, segmenter_.module());
  step_segmenter();
  const auto losses = summed(
      group, {loss_syn.item<double>(), loss_label.defined() ? loss_label.item<double>() : 0});
  r.loss_synthetic = losses[0];
  r.loss_label = losses[1];
  return r;
}

}  // namespace lagm::matching

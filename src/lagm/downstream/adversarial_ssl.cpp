#include "lagm/downstream/adversarial_ssl.h"

#include <torch/torch.h>

#include "lagm/core/state_dict.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/training_state.h"

namespace lagm::downstream {
namespace F = torch::nn::functional;

namespace {

train::OptimizerConfig discriminator_optimizer(const AdversarialOptions& o) {
  train::OptimizerConfig c;
  c.kind = train::OptimizerKind::kAdam;
  c.lr = o.discriminator_lr;
  c.beta1 = 0.9;
  c.beta2 = 0.99;
  return c;
}

// One-hot maps of the labels; pixels of the ignored label 255 are all zeros (masked in the loss).
torch::Tensor one_hot_maps(const torch::Tensor& labels, int64_t num_classes) {
  const auto valid = labels != 255;
  const auto safe = torch::where(valid, labels, torch::zeros_like(labels));
  return F::one_hot(safe, num_classes).permute({0, 3, 1, 2}).to(torch::kFloat32) *
         valid.unsqueeze(1).to(torch::kFloat32);
}

// Binary cross entropy of D's logits against `target` (1 = label map, 0 = prediction), averaged
// over the pixels of `mask` (all where undefined).
torch::Tensor bce(const torch::Tensor& logits, double target, const torch::Tensor& mask = {}) {
  const auto per_pixel = F::binary_cross_entropy_with_logits(
      logits, torch::full_like(logits, target),
      F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  if (!mask.defined()) return per_pixel.mean();
  const auto m = mask.to(per_pixel.dtype()).unsqueeze(1);
  return (per_pixel * m).sum() / m.sum().clamp_min(1.0);
}

}  // namespace

PixelDiscriminator::PixelDiscriminator(int64_t num_classes) {
  const int64_t channels[] = {num_classes, 64, 128, 256, 512, 1};
  for (int i = 0; i < 5; ++i)
    layers_.push_back(register_module(
        "conv" + std::to_string(i + 1),
        torch::nn::Conv2d(
            torch::nn::Conv2dOptions(channels[i], channels[i + 1], 4).stride(2).padding(1))));
}

torch::Tensor PixelDiscriminator::forward(const torch::Tensor& probabilities) {
  auto x = probabilities;
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i]->forward(x);
    if (i + 1 < layers_.size()) x = F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2));
  }
  return F::interpolate(
      x, F::InterpolateFuncOptions()
             .size(std::vector<int64_t>{probabilities.size(2), probabilities.size(3)})
             .mode(torch::kBilinear)
             .align_corners(false));
}

AdversarialSsl::AdversarialSsl(int64_t num_classes, AdversarialOptions options,
                               torch::Device device)
    : o_(options),
      num_classes_(num_classes),
      device_(device),
      discriminator_(std::make_shared<PixelDiscriminator>(num_classes)) {
  discriminator_->to(device_);
  optimizer_ = train::make_optimizer(discriminator_optimizer(o_), discriminator_->parameters());
  names_ = train::parameter_names(*discriminator_);
}

torch::Tensor AdversarialSsl::loss(models::Segmenter& student, const torch::Tensor& labelled_logits,
                                   const torch::Tensor& /*labels*/, const torch::Tensor& unlabelled,
                                   int64_t step, train::TickLosses& losses,
                                   const std::string& step_name) {
  // Fooling D: the segmenter's maps called label maps.
  auto total =
      o_.adversarial_weight * bce(discriminator_->forward(torch::softmax(labelled_logits, 1)), 1.0);
  const auto logits = student.forward(unlabelled.to(device_));
  const auto confidence = discriminator_->forward(torch::softmax(logits, 1));
  const auto fool = bce(confidence, 1.0);
  losses.add("adversarial", fool.item<double>(), "the adversarial loss", step_name);
  total = total + o_.unlabelled_adversarial_weight * fool;
  if (step >= o_.self_training_start) {
    // The segmenter's own labels where D takes its maps for label maps.
    const auto trusted =
        torch::sigmoid(confidence.detach()).squeeze(1) > o_.self_training_threshold;
    auto own = logits.detach().argmax(1);
    own = torch::where(trusted, own, torch::full_like(own, 255));
    if ((own != 255).any().item<bool>()) {
      const auto self_taught =
          F::cross_entropy(logits, own, F::CrossEntropyFuncOptions().ignore_index(255));
      losses.add("self_training", self_taught.item<double>(), "the self-training loss", step_name);
      total = total + o_.self_training_weight * self_taught;
    }
  }
  return total;
}

void AdversarialSsl::after_step(const models::Segmenter& /*student*/,
                                const torch::Tensor& labelled_logits, const torch::Tensor& labels,
                                int64_t /*step*/) {
  optimizer_->zero_grad();
  const auto y = labels.to(device_);
  const auto fake =
      bce(discriminator_->forward(torch::softmax(labelled_logits.detach(), 1)), 0.0, y != 255);
  const auto real = bce(discriminator_->forward(one_hot_maps(y, num_classes_)), 1.0, y != 255);
  (fake + real).backward();
  optimizer_->step();
}

void AdversarialSsl::save(core::TensorDict& state) const {
  state.update(core::state_dict(*discriminator_), "D.");
  state.update(train::optimizer_state(*optimizer_, discriminator_optimizer(o_), names_, "optD."));
}

void AdversarialSsl::load(const core::TensorDict& state) {
  core::load_state_dict(*discriminator_, state.with_prefix_stripped("D."));
  train::load_optimizer_state(*optimizer_, discriminator_optimizer(o_), names_, state, "optD.");
}

}  // namespace lagm::downstream

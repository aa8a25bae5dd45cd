// The adversarial semi-supervised segmenter (Hung et al., 2018), the second semi-supervised
// comparison of the paper's Figure 2. A fully convolutional discriminator D tells the segmenter's
// class-probability maps from one-hot label maps, pixel by pixel. The segmenter learns from the
// labels, from fooling D on labelled and unlabelled images and, on unlabelled images, from its own
// arg-max labels where D's confidence in them passes a threshold; D learns on the labelled batch
// (its labels real, the segmenter's probabilities fake).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "lagm/downstream/semi_supervised.h"

namespace lagm::downstream {

/// Hung et al.'s discriminator: five 4x4 convolutions of stride 2 (64, 128, 256, 512 channels,
/// leaky ReLU 0.2, then one), the confidence logits up-sampled bilinearly to the input's size.
class PixelDiscriminator : public torch::nn::Module {
 public:
  explicit PixelDiscriminator(int64_t num_classes);
  /// Probability maps [B, K, H, W] -> confidence logits [B, 1, H, W].
  torch::Tensor forward(const torch::Tensor& probabilities);

 private:
  std::vector<torch::nn::Conv2d> layers_;
};

class AdversarialSsl : public SemiSupervisedTerm {
 public:
  AdversarialSsl(int64_t num_classes, AdversarialOptions options, torch::Device device);

  torch::Tensor loss(models::Segmenter& student, const torch::Tensor& labelled_logits,
                     const torch::Tensor& labels, const torch::Tensor& unlabelled, int64_t step,
                     train::TickLosses& losses, const std::string& step_name) override;
  /// One Adam step of D on the labelled batch.
  void after_step(const models::Segmenter& student, const torch::Tensor& labelled_logits,
                  const torch::Tensor& labels, int64_t step) override;
  void save(core::TensorDict& state) const override;
  void load(const core::TensorDict& state) override;

  PixelDiscriminator& discriminator() { return *discriminator_; }

 private:
  AdversarialOptions o_;
  int64_t num_classes_;
  torch::Device device_;
  std::shared_ptr<PixelDiscriminator> discriminator_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<std::string> names_;
};

}  // namespace lagm::downstream

// The adversarial semi-supervised segmenter: its discriminator maps class probabilities to a
// confidence per pixel and learns to tell label maps from predictions; the self-training loss
// waits for its start and takes only the pixels the discriminator trusts.
#include "lagm/downstream/adversarial_ssl.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "lagm/models/segmenter.h"

namespace {

using lagm::downstream::AdversarialOptions;
using lagm::downstream::AdversarialSsl;

lagm::models::Segmenter small_segmenter() {
  lagm::models::SegmenterConfig c;
  c.num_classes = 3;
  c.base_channels = 4;
  return lagm::models::Segmenter(c);
}

TEST(AdversarialSsl, TheDiscriminatorLearnsToTellLabelMapsFromPredictions) {
  torch::manual_seed(0);
  AdversarialSsl adversarial(3, AdversarialOptions{}, torch::kCPU);
  const auto labels = torch::randint(0, 3, {2, 32, 32}, torch::kLong);
  const auto logits = torch::randn({2, 3, 32, 32});  // soft, unsure maps
  auto& d = adversarial.discriminator();
  EXPECT_EQ(d.forward(torch::softmax(logits, 1)).sizes(), (std::vector<int64_t>{2, 1, 32, 32}));
  auto student = small_segmenter();
  for (int step = 0; step < 40; ++step) adversarial.after_step(student, logits, labels, step);
  torch::NoGradGuard no_grad;
  const auto one_hot =
      torch::nn::functional::one_hot(labels, 3).permute({0, 3, 1, 2}).to(torch::kFloat32);
  const double real = torch::sigmoid(d.forward(one_hot)).mean().item<double>();
  const double fake = torch::sigmoid(d.forward(torch::softmax(logits, 1))).mean().item<double>();
  EXPECT_GT(real, fake + 0.2) << "real " << real << ", fake " << fake;
}

TEST(AdversarialSsl, SelfTrainingWaitsForItsStart) {
  torch::manual_seed(0);
  auto student = small_segmenter();
  AdversarialOptions o;
  o.self_training_start = 10;
  o.self_training_threshold = 0;  // every pixel trusted once it starts
  AdversarialSsl adversarial(3, o, torch::kCPU);
  const auto logits = student.forward(torch::rand({2, 3, 32, 32}) * 2 - 1);
  const auto labels = torch::randint(0, 3, {2, 32, 32}, torch::kLong);
  const auto unlabelled = torch::rand({2, 3, 32, 32}) * 2 - 1;
  lagm::train::TickLosses before, after;
  const auto early = adversarial.loss(student, logits, labels, unlabelled, 9, before, "step 9");
  EXPECT_TRUE(std::isnan(before.mean("self_training")));
  EXPECT_FALSE(std::isnan(before.mean("adversarial")));
  adversarial.loss(student, logits, labels, unlabelled, 10, after, "step 10");
  EXPECT_GT(after.mean("self_training"), 0.0);
  EXPECT_TRUE(std::isfinite(early.item<double>()));
}

}  // namespace

// Mean teacher (Tarvainen and Valpola, 2017), the first semi-supervised comparison of the paper's
// Figure 2: a teacher network whose weights are the exponential moving average of the student's
// (the network being trained); on unlabelled images the student, shown a perturbed view (colour
// jitter, Gaussian noise, a flip undone on its output), is pulled towards the teacher's class
// probabilities on the clean image. The teacher is what the run validates and writes: the average
// is the better network of the two.
#pragma once

#include <torch/types.h>

#include <memory>

#include "lagm/downstream/semi_supervised.h"

namespace lagm::downstream {

class MeanTeacher : public SemiSupervisedTerm {
 public:
  /// The teacher starts as a copy of `student`.
  MeanTeacher(const models::Segmenter& student, MeanTeacherOptions options, torch::Device device);

  /// The weighted consistency loss of `student` on unlabelled images [B, 3, H, W] (CPU, [-1, 1])
  /// at optimizer step `step`; its perturbations draw from the global CPU generator.
  torch::Tensor consistency_loss(models::Segmenter& student, const torch::Tensor& images,
                                 int64_t step);
  /// The teacher follows the student after an optimizer step (`update` counts from 1).
  void update(const models::Segmenter& student, int64_t update);

  models::Segmenter& teacher() { return *teacher_; }
  /// The weight of the consistency loss at `step`.
  double weight(int64_t step) const;

  torch::Tensor loss(models::Segmenter& student, const torch::Tensor& labelled_logits,
                     const torch::Tensor& labels, const torch::Tensor& unlabelled, int64_t step,
                     train::TickLosses& losses, const std::string& step_name) override;
  void after_step(const models::Segmenter& student, const torch::Tensor& labelled_logits,
                  const torch::Tensor& labels, int64_t step) override {
    update(student, step + 1);
  }
  models::Segmenter* evaluated() override { return teacher_.get(); }
  void save(core::TensorDict& state) const override;
  void load(const core::TensorDict& state) override;

 private:
  MeanTeacherOptions o_;
  torch::Device device_;
  std::unique_ptr<models::Segmenter> teacher_;
};

}  // namespace lagm::downstream

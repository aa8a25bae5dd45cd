#include "lagm/downstream/mean_teacher.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "lagm/core/state_dict.h"
#include "lagm/data/augmentation.h"
#include "lagm/train/weight_average.h"

namespace lagm::downstream {

MeanTeacher::MeanTeacher(const models::Segmenter& student, MeanTeacherOptions options,
                         torch::Device device)
    : o_(options),
      device_(device),
      teacher_(std::make_unique<models::Segmenter>(student.config())) {
  core::load_state_dict(teacher_->module(), core::state_dict(*student.ptr()));
  teacher_->module().to(device_);
  for (auto& p : teacher_->module().parameters()) p.set_requires_grad(false);
}

double MeanTeacher::weight(int64_t step) const {
  if (o_.rampup_steps <= 0) return o_.consistency_weight;
  const double t = std::min(1.0, static_cast<double>(step) / static_cast<double>(o_.rampup_steps));
  return o_.consistency_weight * std::exp(-5.0 * (1.0 - t) * (1.0 - t));
}

torch::Tensor MeanTeacher::consistency_loss(models::Segmenter& student, const torch::Tensor& images,
                                            int64_t step) {
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    teacher_->module().eval();
    target = torch::softmax(teacher_->forward(images.to(device_)), 1);
  }
  // The student's view: colour jitter and noise, and half the images flipped (undone on the
  // output, so that the two predictions compare the same pixels).
  const auto no_labels =
      torch::zeros({images.size(0), images.size(2), images.size(3)}, torch::kLong);
  auto view = data::augment_batch(images, no_labels, data::Augmentation{false, false, true}).first;
  view = (view + o_.noise_std * torch::randn_like(view)).clamp(-1, 1);
  const auto flip = (torch::rand({images.size(0)}) < 0.5).view({-1, 1, 1, 1});
  view = torch::where(flip, view.flip({3}), view).to(device_);
  auto logits = student.forward(view);
  const auto flip_d = flip.to(device_);
  logits = torch::where(flip_d, logits.flip({3}), logits);
  const auto distance = (torch::softmax(logits, 1) - target).pow(2).sum(1).mean();
  return weight(step) * distance;
}

void MeanTeacher::update(const models::Segmenter& student, int64_t update) {
  train::update_weight_average(teacher_->module(), *student.ptr(), o_.teacher_decay, update);
}

torch::Tensor MeanTeacher::loss(models::Segmenter& student,
                                const torch::Tensor& /*labelled_logits*/,
                                const torch::Tensor& /*labels*/, const torch::Tensor& unlabelled,
                                int64_t step, train::TickLosses& losses,
                                const std::string& step_name) {
  auto consistency = consistency_loss(student, unlabelled, step);
  losses.add("consistency", consistency.item<double>(), "the consistency loss", step_name);
  return consistency;
}

void MeanTeacher::save(core::TensorDict& state) const {
  state.update(core::state_dict(*teacher_->ptr()), "teacher.");
}

void MeanTeacher::load(const core::TensorDict& state) {
  core::load_state_dict(teacher_->module(), state.with_prefix_stripped("teacher."));
}

}  // namespace lagm::downstream

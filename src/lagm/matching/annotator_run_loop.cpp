#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/prior_calibration.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/augmentation.h"
#include "lagm/eval/evaluate.h"
#include "lagm/eval/label_grid.h"
#include "lagm/io/image.h"
#include "lagm/matching/annotator_run.h"
#include "lagm/matching/phase_one_tick.h"
#include "lagm/matching/validation_record.h"
#include "lagm/models/model_description.h"
#include "lagm/train/distributed.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/training_state.h"
#include "lagm/train/weight_average.h"

namespace lagm::matching {
namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

void AnnotatorRun::write_reals_grid() {
  const int64_t n = std::min<int64_t>(label_images_.size(0), 16);
  io::write_png(grid_path("reals.png"), eval::image_label_grid(label_images_.narrow(0, 0, n),
                                                               label_masks_.narrow(0, 0, n)));
}

void AnnotatorRun::restore(const annotator::Snapshot& s) {
  core::load_state_dict(*annotator_, s.tensors.with_prefix_stripped("A."));
  if (annotator_ema_) {
    const auto ema = s.tensors.with_prefix_stripped(annotator::kAnnotatorAveragePrefix);
    core::load_state_dict(*annotator_ema_, ema.empty() ? core::state_dict(*annotator_) : ema);
  }
  core::load_state_dict(segmenter_->module(), s.tensors.with_prefix_stripped("S."));
  train::load_optimizer_state(*opt_a_, config_.annotator_optimizer,
                              train::parameter_names(*annotator_), s.tensors, "optA.");
  train::load_optimizer_state(*opt_s_, config_.segmenter_optimizer,
                              train::parameter_names(segmenter_->module()), s.tensors, "optS.");
  train::restore_rng_states(s.tensors, device_);
  sampler_->restore(s.info.sampler_epoch, s.info.sampler_position);
  iteration_ = s.info.iteration;
  best_fg_miou_ = s.info.best_fg_miou;
  best_iteration_ = s.info.best_iteration;
}

TrainResult AnnotatorRun::run() {
  const auto start = Clock::now();
  step_->begin_training();
  train::LoopSchedule schedule;
  schedule.done = iteration_;
  schedule.total = config_.total_iters;
  schedule.units_per_tick = config_.niter_per_tick;
  schedule.units_per_save = config_.niter_per_tick * config_.snapshot_ticks;
  train::run_training_loop(*this, schedule);
  TrainResult r;
  if (folder_) r.run_dir = folder_->path();
  r.iterations = iteration_;
  r.best_fg_miou = best_fg_miou_;
  r.best_iteration = best_iteration_;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

int64_t AnnotatorRun::run_unit(int64_t /*done*/, train::TickLosses& losses) {
  const int64_t reset = config_.segmenter_reset_interval;
  if (reset > 0 && iteration_ > 0 && iteration_ % reset == 0) reset_segmenter();
  if (iteration_ % config_.annotator_interval == 0) annotator_phase(losses);
  if (iteration_ % config_.segmenter_interval == 0) segmenter_phase(losses);
  ++iteration_;
  return 1;
}

void AnnotatorRun::tick(const train::LoopState& state) {
  if (folder_)
    record_tick(*folder_, state.done, state.total, state.losses, state.seconds_per_unit,
                state.meter, progress_);
}

void AnnotatorRun::save(const train::LoopState& /*state*/) {
  if (folder_) snapshot();
}

void AnnotatorRun::annotator_phase(train::TickLosses& losses) {
  std::tie(label_images_drawn_, label_masks_drawn_) = labelled_batch();
  auto z = torch::randn({config_.batch, generator_->z_dim()}).to(device_);
  const auto a = step_->annotator_phase(label_images_drawn_, label_masks_drawn_, z);
  losses.add("label", a.loss_label, "the labelled loss");
  losses.add("synthetic_a", a.loss_synthetic, "the synthetic loss of phase A");
  losses.add("matching", a.loss_gm, "the matching loss");
  if (!std::isnan(a.loss_pseudo_label))
    losses.add("pseudo_label", a.loss_pseudo_label, "the pseudo-label loss");
  if (annotator_ema_)
    train::update_weight_average(*annotator_ema_, *annotator_, config_.annotator_ema,
                                 iteration_ / config_.annotator_interval + 1);
}

void AnnotatorRun::segmenter_phase(train::TickLosses& losses) {
  auto z = torch::randn({config_.batch, generator_->z_dim()}).to(device_);
  // With label_loss_weight, S also trains on the labelled batch phase A last drew.
  const double weight = label_images_drawn_.defined() ? config_.label_loss_weight : 0.0;
  const auto s = step_->segmenter_phase(z, label_images_drawn_, label_masks_drawn_, weight);
  losses.add("synthetic_s", s.loss_synthetic, "the loss of phase S");
  losses.add("label_s", s.loss_label, "the labelled loss of phase S");
}

void AnnotatorRun::reset_segmenter() {
  const auto fresh = new_segmenter();
  core::load_state_dict(segmenter_->module(), core::state_dict(fresh->module()));
  opt_s_->state().clear();
}

std::pair<torch::Tensor, torch::Tensor> AnnotatorRun::labelled_batch() {
  auto idx = sampler_->next(config_.label_batch > 0 ? config_.label_batch : config_.batch);
  auto index = torch::tensor(std::vector<int64_t>(idx.begin(), idx.end()), torch::kInt64);
  auto images = label_images_.index_select(0, index);
  auto masks = label_masks_.index_select(0, index);
  if (config_.label_augment)
    std::tie(images, masks) = data::augment_batch(images, masks, data::Augmentation::all());
  return {images.to(device_), masks.to(device_)};
}

void AnnotatorRun::write_fakes_grid() {
  torch::NoGradGuard no_grad;
  auto& annotator = shown_annotator();
  annotator->eval();
  // Random noise draws from the global streams (CPU, device): keep them untouched, so that rank 0
  // of a data-parallel run, which alone draws the grid, keeps drawing the others' batches.
  const auto saved_rng = train::rng_state(torch::kCPU);
  const auto saved_device_rng = device_.is_cpu() ? torch::Tensor() : train::rng_state(device_);
  auto batch = generator_->generate(grid_z_.to(device_));
  train::set_rng_state(torch::kCPU, saved_rng);
  if (saved_device_rng.defined()) train::set_rng_state(device_, saved_device_rng);
  auto probs = torch::softmax(annotator->forward(batch.features), 1);
  char name[40];
  std::snprintf(name, sizeof name, "fakes%06lld.png", static_cast<long long>(iteration_));
  io::write_png(grid_path(name), eval::image_prediction_grid(batch.img, probs));
}

void AnnotatorRun::validate(const std::string& snapshot_file) {
  if (!validation_) return;
  const auto cm = eval::evaluate_segmenter(*segmenter_, *validation_, device_);
  const auto m = cm.metrics();
  record_validation(folder_->path(), iteration_, m, snapshot_file, best_fg_miou_, best_iteration_);
  last_validation_ = {{"iteration", iteration_},
                      {"mIoU", m.mean_iou},
                      {"fg_mIoU", m.fg_mean_iou},
                      {"pACC", m.pixel_accuracy}};
}

void AnnotatorRun::snapshot() {
  const std::string path = annotator::snapshot_path(folder_->path(), iteration_);
  write_fakes_grid();
  validate(path);
  core::TensorDict t;
  t.update(core::state_dict(*annotator_), "A.");
  if (annotator_ema_)
    t.update(core::state_dict(*annotator_ema_), annotator::kAnnotatorAveragePrefix);
  t.update(core::state_dict(segmenter_->module()), "S.");
  t.update(train::optimizer_state(*opt_a_, config_.annotator_optimizer,
                                  train::parameter_names(*annotator_), "optA."));
  t.update(train::optimizer_state(*opt_s_, config_.segmenter_optimizer,
                                  train::parameter_names(segmenter_->module()), "optS."));
  train::save_rng_states(t, device_);
  annotator::SnapshotInfo info;
  info.iteration = iteration_;
  info.annotator = models::to_json(annotator_->options);
  info.segmenter = segmenter_->config();
  info.provenance = {learner_name(config_.learner), config_.generator, config_.sampling,
                     config_.transform.wide_crop, config_.training_set};
  info.run = to_json(config_);
  info.class_names = labelled_->class_names();
  info.labelled_class_frequencies =
      annotator::class_frequencies(label_masks_, labelled_->num_classes());
  info.sampler_epoch = sampler_->epoch();
  info.sampler_position = sampler_->position();
  info.best_fg_miou = best_fg_miou_;
  info.best_iteration = best_iteration_;
  auto description = models::describe_training(
      labelled_->class_names(), label_images_.size(2), label_images_.size(3), label_images_.size(0),
      config_.training_set.describe(), device_.str(), train::precision_name(config_.precision),
      group_ ? group_->world_size() : 1);
  description.validation = last_validation_;
  info.description = models::to_json(description);
  annotator::write_snapshot(path, info, t);
}

}  // namespace lagm::matching

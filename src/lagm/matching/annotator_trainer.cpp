#include "lagm/matching/annotator_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/labelled_sampler.h"
#include "lagm/annotator/prior_calibration.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/module_grads.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/augmentation.h"
#include "lagm/data/data_survey.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/eval/evaluate.h"
#include "lagm/eval/label_grid.h"
#include "lagm/io/image.h"
#include "lagm/io/run_directory.h"
#include "lagm/matching/gm_step.h"
#include "lagm/matching/phase_one_tick.h"
#include "lagm/matching/validation_record.h"
#include "lagm/models/model_description.h"
#include "lagm/train/distributed.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/run_folder.h"
#include "lagm/train/training_loop.h"
#include "lagm/train/training_state.h"
#include "lagm/train/weight_average.h"

namespace lagm::matching {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// One training run: the networks, their optimizers and the loop's state.
class AnnotatorRun : public train::Trainable {
 public:
  /// `folder` is null on the processes of a data-parallel run other than rank 0, which write
  /// nothing.
  AnnotatorRun(AnnotatorTrainConfig config, const train::RunFolder* folder, torch::Device device,
               ProgressFn progress, train::ProcessGroup* group)
      : config_(std::move(config)),
        folder_(folder),
        device_(device),
        progress_(std::move(progress)),
        group_(group) {}

  void setup() {
    read_data();
    load_generator();
    // A and S initialisation, then the z / noise / dropout stream.
    torch::manual_seed(config_.seed);
    build_networks();
    build_step();
    sampler_ = std::make_unique<annotator::LabelledSampler>(labelled_->size(), config_.seed);
    // Grid latents from their own generator, so pictures never perturb the training stream.
    auto grid_gen = at::detail::createCPUGenerator(config_.seed + 0x5EED);
    grid_z_ = torch::randn({config_.grid_size, generator_->z_dim()}, grid_gen);
  }

  // The labelled set (held in memory) and the validation set, both read now: a bad file found at
  // the first snapshot would cost the iterations before it.
  void read_data() {
    labelled_ = data::open_labelled_dataset(config_.training_set, "training_set");
    survey_labelled_set();
    std::tie(label_images_, label_masks_) =
        data::load_batch(*labelled_, all_indices(labelled_->size()));
    if (!config_.validation_set.empty()) {
      validation_ = data::open_labelled_dataset(config_.validation_set, "validation_set");
      if (validation_->num_classes() != labelled_->num_classes())
        throw InputError(
            config_.validation_set.describe() + ": " + std::to_string(validation_->num_classes()) +
            " classes, but the labelled set has " + std::to_string(labelled_->num_classes()));
      record_survey("validation_set", config_.validation_set,
                    data::survey_dataset(*validation_, "validation_set"));
    }
  }

  // The frozen generator, whose images (after the transform) must be the labelled images' size.
  void load_generator() {
    generator_ = models::load_feature_generator(config_.generator, device_);
    generator_->sampling() = config_.sampling;
    models::require_generation_memory(*generator_, config_.batch,
                                      "batch " + std::to_string(config_.batch));
    const auto hw = annotator::transformed_size(config_.transform, generator_->img_resolution());
    if (label_images_.size(2) != hw[0] || label_images_.size(3) != hw[1])
      throw InputError(config_.training_set.describe() + ": labelled images are " +
                       std::to_string(label_images_.size(3)) + "x" +
                       std::to_string(label_images_.size(2)) +
                       " but the generator (after the transform) makes " + std::to_string(hw[1]) +
                       "x" + std::to_string(hw[0]) + " images; set training_set.img_size");
  }

  // A and S, from random weights or their init files, and A's weight average.
  void build_networks() {
    const int64_t k = labelled_->num_classes();
    annotator_ = models::AnnotatorFPN(models::AnnotatorFPNOptions(generator_->feature_shapes(), k)
                                          .tmp_channels(config_.annotator_tmp_channels)
                                          .num_layers(config_.annotator_num_layers));
    segmenter_ = new_segmenter();
    if (!config_.segmenter_init.empty()) start_segmenter_from_init();
    if (!config_.annotator_init.empty()) start_annotator_from_init();
    annotator_->to(device_);
    if (config_.annotator_ema > 0) {
      // Building a module draws its initial weights from the global stream: keep the stream as it
      // was, so that A and S train exactly as without the average.
      const auto saved_rng = train::rng_state(torch::kCPU);
      annotator_ema_ = models::AnnotatorFPN(annotator_->options);
      train::set_rng_state(torch::kCPU, saved_rng);
      core::load_state_dict(*annotator_ema_, core::state_dict(*annotator_));
      annotator_ema_->to(device_);
    }
    segmenter_->module().to(device_);
  }

  void start_segmenter_from_init() {
    const auto init = annotator::load_segmenter(config_.segmenter_init);
    if (models::to_json(init.segmenter->config()) != models::to_json(segmenter_->config()))
      throw InputError(config_.segmenter_init + ": its segmenter (" +
                       models::to_json(init.segmenter->config()).dump() +
                       ") differs from the run's (" + models::to_json(segmenter_->config()).dump() +
                       ")");
    if (init.class_names != labelled_->class_names())
      throw InputError(config_.segmenter_init + ": its classes differ from the labelled set's");
    core::load_state_dict(segmenter_->module(), core::state_dict(init.segmenter->module()));
  }

  void start_annotator_from_init() {
    const auto init = annotator::read_snapshot(config_.annotator_init);
    if (init.info.annotator != models::to_json(annotator_->options))
      throw InputError(config_.annotator_init + ": its annotator (" + init.info.annotator.dump() +
                       ") differs from the run's (" + models::to_json(annotator_->options).dump() +
                       ")");
    if (init.info.class_names != labelled_->class_names())
      throw InputError(config_.annotator_init + ": its classes differ from the labelled set's");
    core::load_state_dict(*annotator_,
                          core::state_dict(annotator::load_snapshot_annotator(init).module()));
  }

  // Their optimizers and Algorithm 1's step with its levers.
  void build_step() {
    const int64_t k = labelled_->num_classes();
    opt_a_ = train::make_optimizer(config_.annotator_optimizer, annotator_->parameters());
    opt_s_ = train::make_optimizer(config_.segmenter_optimizer, segmenter_->module().parameters());
    step_ = std::make_unique<GradientMatchingStep>(*generator_, annotator_, *segmenter_, *opt_a_,
                                                   *opt_s_, config_.gm_params, config_.matcher,
                                                   config_.transform);
    step_->set_process_group(group_, config_.sync_batch_norm);
    if (config_.learner == "maml") step_->set_unrolled_learner(config_.unrolled);
    step_->set_precision(config_.precision);
    if (config_.class_balance_power > 0)
      step_->set_class_weights(
          train::class_balance_weights(annotator::class_frequencies(label_masks_, k),
                                       config_.class_balance_power)
              .to(device_));
    if (config_.pseudo_label_weight > 0) {
      pseudo_labeller_ = annotator::load_frozen_labeller(config_.pseudo_labeller, "pseudo_labeller",
                                                         labelled_->class_names(), device_);
      step_->set_pseudo_labeller(pseudo_labeller_.get(), config_.pseudo_label_weight);
    }
  }

  /// The data rule of the run folder (RunFolder::claim_data); `continuing` from a snapshot.
  void claim_data(bool continuing) const {
    if (folder_) folder_->claim_data(data_record_, continuing);
  }

  void write_reals_grid() {
    const int64_t n = std::min<int64_t>(label_images_.size(0), 16);
    io::write_png(grid_path("reals.png"), eval::image_label_grid(label_images_.narrow(0, 0, n),
                                                                 label_masks_.narrow(0, 0, n)));
  }

  void restore(const annotator::Snapshot& s) {
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

  TrainResult run() {
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

  // One iteration of Algorithm 1: phase A every annotator_interval iterations, phase S every
  // segmenter_interval.
  int64_t run_unit(int64_t /*done*/, train::TickLosses& losses) override {
    const int64_t reset = config_.segmenter_reset_interval;
    if (reset > 0 && iteration_ > 0 && iteration_ % reset == 0) reset_segmenter();
    if (iteration_ % config_.annotator_interval == 0) annotator_phase(losses);
    if (iteration_ % config_.segmenter_interval == 0) segmenter_phase(losses);
    ++iteration_;
    return 1;
  }

  void tick(const train::LoopState& state) override {
    if (folder_)
      record_tick(*folder_, state.done, state.total, state.losses, state.seconds_per_unit,
                  state.meter, progress_);
  }

  void save(const train::LoopState& /*state*/) override {
    if (folder_) snapshot();
  }

 private:
  void annotator_phase(train::TickLosses& losses) {
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

  void segmenter_phase(train::TickLosses& losses) {
    auto z = torch::randn({config_.batch, generator_->z_dim()}).to(device_);
    // With label_loss_weight, S also trains on the labelled batch phase A last drew.
    const double weight = label_images_drawn_.defined() ? config_.label_loss_weight : 0.0;
    const auto s = step_->segmenter_phase(z, label_images_drawn_, label_masks_drawn_, weight);
    losses.add("synthetic_s", s.loss_synthetic, "the loss of phase S");
    losses.add("label_s", s.loss_label, "the labelled loss of phase S");
  }

  // Few labels, each one counts: a labelled image without a labelled pixel is a mistake, and a
  // label batch of only such images would have no loss to take the mean of.
  void survey_labelled_set() {
    const auto survey = data::survey_dataset(*labelled_, "training_set");
    if (survey.unlabelled_images > 0)
      throw InputError(config_.training_set.describe() +
                       " (training_set): " + std::to_string(survey.unlabelled_images) + " of its " +
                       std::to_string(survey.images) +
                       " labelled images have no labelled pixel (every pixel 255); remove them");
    record_survey("training_set", config_.training_set, survey);
  }

  void record_survey(const char* key, const data::DatasetSpec& spec,
                     const data::DataSurvey& survey) {
    data_record_[key] = {{"source", spec.describe()},
                         {"fingerprint", survey.fingerprint},
                         {"images", survey.images}};
  }

  // S as the run starts it: random weights from the global stream, then the ImageNet backbone if
  // any.
  std::unique_ptr<models::Segmenter> new_segmenter() const {
    auto s_json = config_.segmenter;
    s_json["num_classes"] = labelled_->num_classes();
    auto s = std::make_unique<models::Segmenter>(
        models::segmenter_config_from_json(s_json, "config.segmenter"));
    if (!config_.segmenter_backbone.empty()) {
      if (!std::filesystem::exists(config_.segmenter_backbone))
        throw InputError(
            config_.segmenter_backbone +
            ": no such file; S's backbone starts from torchvision's ImageNet ResNet (convert "
            "resnet101-63fe2227.pth with tools/convert_torch_state_dict.py), or pass "
            "--backbone-weights none to start from random weights");
      models::load_imagenet_backbone(*s,
                                     core::read_safetensors(config_.segmenter_backbone).tensors);
    }
    return s;
  }

  // segmenter_reset_interval: fresh weights copied into the same tensors (the matching step holds
  // them) and Adam's moments dropped, so S restarts as a new network.
  void reset_segmenter() {
    const auto fresh = new_segmenter();
    core::load_state_dict(segmenter_->module(), core::state_dict(fresh->module()));
    opt_s_->state().clear();
  }

  static std::vector<size_t> all_indices(size_t n) {
    std::vector<size_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = i;
    return v;
  }

  std::pair<torch::Tensor, torch::Tensor> labelled_batch() {
    auto idx = sampler_->next(config_.label_batch > 0 ? config_.label_batch : config_.batch);
    auto index = torch::tensor(std::vector<int64_t>(idx.begin(), idx.end()), torch::kInt64);
    auto images = label_images_.index_select(0, index);
    auto masks = label_masks_.index_select(0, index);
    if (config_.label_augment)
      std::tie(images, masks) = data::augment_batch(images, masks, data::Augmentation::all());
    return {images.to(device_), masks.to(device_)};
  }

  std::string grid_path(const std::string& name) const { return folder_->file_in("grids", name); }

  // The annotator synthesis will use: the weight average when the run keeps one.
  models::AnnotatorFPN& shown_annotator() { return annotator_ema_ ? annotator_ema_ : annotator_; }

  void write_fakes_grid() {
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

  void validate(const std::string& snapshot_file) {
    if (!validation_) return;
    const auto cm = eval::evaluate_segmenter(*segmenter_, *validation_, device_);
    const auto m = cm.metrics();
    record_validation(folder_->path(), iteration_, m, snapshot_file, best_fg_miou_,
                      best_iteration_);
    last_validation_ = {{"iteration", iteration_},
                        {"mIoU", m.mean_iou},
                        {"fg_mIoU", m.fg_mean_iou},
                        {"pACC", m.pixel_accuracy}};
  }

  void snapshot() {
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
    info.segmenter = models::to_json(segmenter_->config());
    info.run = to_json(config_);
    info.class_names = labelled_->class_names();
    info.labelled_class_frequencies =
        annotator::class_frequencies(label_masks_, labelled_->num_classes());
    info.sampler_epoch = sampler_->epoch();
    info.sampler_position = sampler_->position();
    info.best_fg_miou = best_fg_miou_;
    info.best_iteration = best_iteration_;
    auto description = models::describe_training(
        labelled_->class_names(), label_images_.size(2), label_images_.size(3),
        label_images_.size(0), config_.training_set.describe(), device_.str(),
        train::precision_name(config_.precision), group_ ? group_->world_size() : 1);
    description.validation = last_validation_;
    info.description = models::to_json(description);
    annotator::write_snapshot(path, info, t);
  }

  AnnotatorTrainConfig config_;
  const train::RunFolder* folder_;
  torch::Device device_;
  ProgressFn progress_;
  train::ProcessGroup* group_;
  std::unique_ptr<data::LabelledDataset> labelled_, validation_;
  torch::Tensor label_images_, label_masks_, grid_z_;
  torch::Tensor label_images_drawn_, label_masks_drawn_;  ///< the labelled batch phase A last drew
  nlohmann::json data_record_;      ///< what data.json records of the sets read
  nlohmann::json last_validation_;  ///< S's metrics at the latest snapshot (null: no validation)
  std::unique_ptr<models::FeatureGenerator> generator_;
  models::AnnotatorFPN annotator_{nullptr};
  models::AnnotatorFPN annotator_ema_{nullptr};  ///< weight average (annotator_ema > 0), else null
  std::unique_ptr<models::Segmenter> segmenter_;
  std::unique_ptr<models::Segmenter> pseudo_labeller_;  ///< config.pseudo_labeller, when weighted
  std::unique_ptr<torch::optim::Optimizer> opt_a_, opt_s_;
  std::unique_ptr<GradientMatchingStep> step_;
  std::unique_ptr<annotator::LabelledSampler> sampler_;
  int64_t iteration_ = 0;
  double best_fg_miou_ = -1;
  int64_t best_iteration_ = -1;
};

}  // namespace

TrainResult train_annotator(const AnnotatorTrainConfig& config, const std::string& outdir,
                            torch::Device device, const ProgressFn& progress,
                            train::ProcessGroup* group) {
  if (group) check_data_parallel(config, group->world_size());
  const bool writer = !group || group->rank() == 0;
  std::optional<train::RunFolder> folder;
  if (writer) {
    folder.emplace(train::RunFolder::create_numbered(outdir, config.run_name));
    folder->write_config(to_json(config));
  }
  AnnotatorRun run(config, folder ? &*folder : nullptr, device, writer ? progress : ProgressFn(),
                   group);
  run.setup();
  run.claim_data(false);
  if (writer) run.write_reals_grid();
  return run.run();
}

TrainResult resume_annotator_training(const std::string& run_dir, torch::Device device,
                                      const ProgressFn& progress, int64_t total_iters,
                                      train::ProcessGroup* group) {
  auto config = read_annotator_run_config(run_dir);
  if (total_iters > 0) config.total_iters = total_iters;
  if (group) check_data_parallel(config, group->world_size());
  // Every process reads the run; rank 0 alone holds and writes its folder.
  const bool writer = !group || group->rank() == 0;
  std::optional<train::RunFolder> folder;
  if (writer) folder.emplace(run_dir);
  AnnotatorRun run(config, folder ? &*folder : nullptr, device, writer ? progress : ProgressFn(),
                   group);
  run.setup();
  const std::string latest = annotator::latest_snapshot(run_dir);
  run.claim_data(!latest.empty());
  if (latest.empty()) {
    if (writer) run.write_reals_grid();
  } else {
    const auto snapshot = annotator::read_snapshot(latest);
    run.restore(snapshot);
    // Ticks and validations after the snapshot are repeated now: drop their old lines.
    if (folder)
      folder->forget_records_after("iteration", static_cast<double>(snapshot.info.iteration),
                                   {"stats.jsonl", "metrics-val.jsonl"});
    if (progress && writer) progress("resumed from " + latest);
  }
  return run.run();
}

}  // namespace lagm::matching

#include "lagm/downstream/segmenter_trainer.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "lagm/annotator/prior_calibration.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/augmentation.h"
#include "lagm/data/data_survey.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/downstream/segmenter_data_parallel.h"
#include "lagm/downstream/segmenter_run_data.h"
#include "lagm/downstream/semi_supervised.h"
#include "lagm/eval/evaluate.h"
#include "lagm/io/run_directory.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/model_description.h"
#include "lagm/models/segmenter.h"
#include "lagm/train/distributed.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/rate_meter.h"
#include "lagm/train/run_folder.h"
#include "lagm/train/segmentation_loss.h"
#include "lagm/train/training_loop.h"
#include "lagm/train/training_state.h"

namespace lagm::downstream {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

std::string epoch_checkpoint(const std::string& outdir, int64_t epoch) {
  char name[40];
  std::snprintf(name, sizeof name, "segmenter-%03lld.safetensors", static_cast<long long>(epoch));
  return (fs::path(outdir) / name).string();
}

// Copies a trained segmenter's weights into `seg`; its architecture and classes must be the same.
void start_from(models::Segmenter& seg, const std::string& path,
                const data::LabelledDataset& train) {
  const auto init = annotator::load_segmenter(path);
  if (!init.class_names.empty() && init.class_names != train.class_names())
    throw InputError(path +
                     ": --init segmenter was trained on other classes than the training data");
  auto tensors = core::state_dict(init.segmenter->module());
  tensors.source = path + " (--init)";
  // Names every missing, unexpected or misshapen tensor.
  core::load_state_dict(seg.module(), tensors);
}

// One downstream training run: its data, network, optimizer and folder.
class SegmenterRun : public train::Trainable {
 public:
  SegmenterRun(const SegmenterTrainConfig& c, std::string outdir, torch::Device device,
               ProgressFn progress, train::ProcessGroup* group)
      : c_(c),
        outdir_(std::move(outdir)),
        device_(device),
        progress_(std::move(progress)),
        group_(group),
        data_(open_segmenter_data(c)),
        plan_(c, static_cast<int64_t>(data_.train->size()), data_.mix != nullptr),
        state_path_((fs::path(outdir_) / "train_state.safetensors").string()) {}

  SegmenterTrainResult run() {
    take_folder();
    build_network();
    start_or_resume();
    check_batches();
    std::unique_ptr<train::GroupSum> group_sum;
    std::unique_ptr<nn::SyncBatchNormScope> sync_bn;
    if (c_.sync_batch_norm) {
      group_sum = std::make_unique<train::GroupSum>(*group_);
      sync_bn = std::make_unique<nn::SyncBatchNormScope>(*group_sum);
    }
    train::LoopSchedule schedule;
    schedule.unit = "epoch";
    schedule.done = start_epoch_;
    schedule.total = c_.epochs;
    train::run_training_loop(*this, schedule);
    return r_;
  }

  int64_t run_unit(int64_t epoch, train::TickLosses& losses) override {
    train_epoch(epoch, losses);
    const double mean = losses.mean("loss");
    epoch_loss_ = std::isnan(mean) ? 0.0 : mean;  // an epoch without a step (max_steps reached)
    if (epoch == 0) r_.first_loss = epoch_loss_;
    r_.last_loss = epoch_loss_;
    return 1;
  }

  void tick(const train::LoopState& state) override {
    finish_epoch(state.done - 1, epoch_loss_, state.meter);
  }

  // The training state follows the epoch's checkpoint (written by its tick), so a crash between
  // the two only repeats an epoch.
  void save(const train::LoopState& state) override {
    if (folder_) save_state(state.done - 1);
  }

 private:
  // Rank 0 holds and writes the folder; the run's data are read once and recorded (data.json).
  void take_folder() {
    if (rank() == 0) folder_ = std::make_unique<train::RunFolder>(outdir_);
    if (folder_ && fs::exists(state_path_) && folder_->has_config()) {
      const auto changes = resume_conflicts(folder_->read_config(), c_);
      if (!changes.empty())
        throw UsageError(outdir_ + ": holds a run of another configuration (" + changes +
                         "); continue it with --resume " + outdir_ +
                         " or train into another --out");
    }
    inputs_ = survey_inputs(c_, data_);
    if (folder_) folder_->claim_data(inputs_.record, fs::exists(state_path_));
  }

  // The network (its weights drawn from the run's seed), the optimizer and the loss.
  void build_network() {
    torch::manual_seed(c_.seed);
    auto s_config = c_.segmenter;
    s_config.num_classes = data_.train->num_classes();
    seg_ = std::make_unique<models::Segmenter>(s_config);
    if (!c_.backbone_weights.empty())
      models::load_imagenet_backbone(*seg_, core::read_safetensors(c_.backbone_weights).tensors);
    seg_->module().to(device_);
    oc_.kind = train::OptimizerKind::kAdam;
    oc_.lr = c_.lr;
    opt_ = train::make_optimizer(oc_, seg_->module().parameters());
    names_ = train::parameter_names(seg_->module());
    loss_options_ = F::CrossEntropyFuncOptions().ignore_index(255);
    if (c_.class_balance_power > 0) weigh_classes();
  }

  // The network validated and written: the student, or mean teacher's teacher.
  models::Segmenter& evaluated() {
    auto* other = ssl_ ? ssl_->evaluated() : nullptr;
    return other ? *other : *seg_;
  }

  // The frequencies of the batches the loss sees: with mixed-in labels, those of the mixture.
  // From the training set alone, a class it nearly lacks (an annotator that labels 4 ear pixels in
  // 2000 images) got a weight 10^4 times the background's, and the mixed-in labels of that class
  // then taught the network to paint it over the background.
  void weigh_classes() {
    auto frequencies = inputs_.train.class_frequencies;
    if (data_.mix)
      frequencies = annotator::mixed_class_frequencies(
          frequencies, inputs_.mix.class_frequencies,
          static_cast<double>(c_.mix_per_batch) / static_cast<double>(c_.batch));
    const auto weights = train::class_balance_weights(frequencies, c_.class_balance_power);
    r_.class_weights.assign(weights.data_ptr<double>(),
                            weights.data_ptr<double>() + weights.numel());
    loss_options_.weight(weights.to(torch::TensorOptions().dtype(torch::kFloat32).device(device_)));
  }

  // A resumed run continues after its last finished epoch; a new one may start from --init.
  void start_or_resume() {
    r_.outdir = outdir_;
    if (folder_) folder_->write_config(to_json(c_));  // a resumed run records its new length
    const bool resumed = fs::exists(state_path_);
    // A resumed run has its own weights and needs no init file.
    if (!resumed && !c_.init.empty()) start_from(*seg_, c_.init, *data_.train);
    // After the student's first weights: mean teacher's teacher starts as a copy of them.
    if (data_.unlabelled) ssl_ = make_semi_supervised_term(c_.semi_supervised, *seg_, device_);
    if (!resumed) return;
    auto st = core::read_safetensors(state_path_);
    start_epoch_ = std::stoll(st.metadata.at("epochs_done"));
    steps_ = std::stoll(st.metadata.at("steps"));
    r_.best_miou = std::stod(st.metadata.at("best_miou"));
    r_.best_epoch = std::stoll(st.metadata.at("best_epoch"));
    r_.first_loss = std::stod(st.metadata.at("first_loss"));
    // Semi-supervised: the state holds the student and the method's own networks; the checkpoint
    // holds the evaluated network, which may be the student's teacher.
    if (ssl_) {
      core::load_state_dict(seg_->module(), st.tensors.with_prefix_stripped("student."));
      ssl_->load(st.tensors);
    } else {
      core::load_state_dict(
          seg_->module(),
          models::read_model_checkpoint(epoch_checkpoint(outdir_, start_epoch_ - 1)).tensors);
    }
    train::load_optimizer_state(*opt_, oc_, names_, st.tensors, "opt.");
    train::restore_rng_states(st.tensors, device_);
    // An epoch validated but not saved is repeated now: drop its old line.
    if (folder_)
      folder_->forget_records_after("epoch", static_cast<double>(start_epoch_ - 1),
                                    {"metrics-val.jsonl"});
    if (progress_ && rank() == 0)
      progress_("resumed after epoch " + std::to_string(start_epoch_ - 1));
  }

  // The batches fit the processes, the network and memory; what the checkpoints will tell.
  void check_batches() {
    if (group_) plan_.check_shares(group_->world_size());
    const auto first = data_.train->get(0).image;
    seg_->require_input_size(first.size(1), first.size(2), c_.data.describe());
    seg_->require_memory_for(plan_.largest_batch(), first.size(1), first.size(2), true);
    const int64_t mixed = data_.mix ? static_cast<int64_t>(data_.mix->size()) : 0;
    description_ = models::describe_training(
        data_.train->class_names(), first.size(1), first.size(2),
        static_cast<int64_t>(data_.train->size()) + mixed,
        c_.data.describe() +
            (data_.mix ? " + " + std::to_string(mixed) + " mixed in from " + c_.mix_data.describe()
                       : ""),
        device_.str(), "fp32", group_ ? group_->world_size() : 1);
  }

  // One epoch's steps, each adding its loss.
  void train_epoch(int64_t epoch, train::TickLosses& losses) {
    seg_->module().train();
    const auto order = shuffled_indices(plan_.n, plan_.per_epoch);
    torch::Tensor mix_order;
    if (data_.mix)
      mix_order = shuffled_indices(static_cast<int64_t>(data_.mix->size()),
                                   plan_.steps * plan_.mix_per_batch);
    const int64_t u = unlabelled_per_batch();
    torch::Tensor unlabelled_order;
    if (data_.unlabelled)
      unlabelled_order =
          shuffled_indices(static_cast<int64_t>(data_.unlabelled->size()), plan_.steps * u);
    for (int64_t b = 0; b < plan_.steps; ++b) {
      if (c_.max_steps > 0 && steps_ >= c_.max_steps) break;
      auto [x, y] = batch(order, mix_order, b);
      if (!has_labelled_pixels(y)) continue;  // the same on every process: same batches
      torch::Tensor unlabelled;
      if (data_.unlabelled)
        unlabelled =
            data::load_batch(*data_.unlabelled, batch_indices(unlabelled_order, b * u, (b + 1) * u))
                .first;
      step(x, y, unlabelled, losses);
      ++steps_;
    }
  }

  // Batch b of the epoch, augmented, with its mixed-in samples.
  std::pair<torch::Tensor, torch::Tensor> batch(const torch::Tensor& order,
                                                const torch::Tensor& mix_order, int64_t b) const {
    const int64_t main = plan_.main_per_batch, mix = plan_.mix_per_batch;
    auto [x, y] = data::load_batch(
        *data_.train,
        batch_indices(order, b * main, std::min(plan_.main_per_epoch(), (b + 1) * main)));
    std::tie(x, y) =
        data::augment_batch(x, y, data::Augmentation{c_.flip, c_.scale_crop, c_.color_jitter});
    if (!data_.mix) return {x, y};
    auto [mx, my] = data::load_batch(*data_.mix, batch_indices(mix_order, b * mix, (b + 1) * mix));
    std::tie(mx, my) = data::augment_batch(mx, my, data::Augmentation::all());
    return {torch::cat({x, mx}), torch::cat({y, my})};
  }

  int64_t unlabelled_per_batch() const {
    return c_.unlabelled_per_batch > 0 ? c_.unlabelled_per_batch : c_.batch;
  }

  // One optimizer step, its loss added to the epoch's; with unlabelled images, the semi-supervised
  // method's loss beside it (in one process: settings refuse it under launch).
  void step(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& unlabelled,
            train::TickLosses& losses) {
    opt_->zero_grad();
    const std::string step_name = "step " + std::to_string(steps_);
    torch::Tensor logits;
    if (!group_) {
      logits = seg_->forward(x.to(device_));
      auto loss = F::cross_entropy(logits, y.to(device_), loss_options_);
      losses.add("loss", loss.item<double>(), "the training loss", step_name);
      if (ssl_) loss = loss + ssl_->loss(*seg_, logits, y, unlabelled, steps_, losses, step_name);
      loss.backward();
    } else {
      const double loss = share_loss_backward(*seg_, x, y, loss_options_, *group_, device_);
      losses.add("loss", loss, "the training loss", step_name);
    }
    opt_->step();
    if (ssl_) ssl_->after_step(*seg_, logits, y, steps_);
  }

  // Validated before the checkpoint is written, so that the checkpoint carries its metrics.
  void finish_epoch(int64_t epoch, double mean_loss, const train::RateMeter& meter) {
    const int64_t epochs_done = epoch + 1;
    char buf[256];
    std::snprintf(buf, sizeof buf, "epoch %lld/%lld  loss %.4f  %.1f s/epoch  ETA %s",
                  static_cast<long long>(epochs_done), static_cast<long long>(c_.epochs), mean_loss,
                  meter.seconds_per_unit(), meter.eta_text().c_str());
    std::string line = buf;
    std::optional<eval::SegmentationMetrics> metrics;
    if (data_.val) {
      metrics = validate_segmenter(evaluated(), *data_.val, device_, group_);
      std::snprintf(buf, sizeof buf, "  val mIoU %.4f  FG-mIoU %.4f", metrics->mean_iou,
                    metrics->fg_mean_iou);
      line += buf;
    }
    record_validation(epoch, metrics);
    r_.epochs_done = epoch + 1;
    if (!folder_) return;  // the other ranks of a data-parallel run write nothing
    folder_->log(line);
    if (progress_) progress_(line);
  }

  void record_validation(int64_t epoch, const std::optional<eval::SegmentationMetrics>& metrics) {
    description_.validation = nlohmann::json();
    if (metrics)
      description_.validation = {{"epoch", epoch},
                                 {"mIoU", metrics->mean_iou},
                                 {"fg_mIoU", metrics->fg_mean_iou},
                                 {"pACC", metrics->pixel_accuracy},
                                 {"data", c_.validation.describe()}};
    if (folder_)
      models::write_model_checkpoint(epoch_checkpoint(outdir_, epoch), "segmenter",
                                     to_json(seg_->config()), evaluated().module(),
                                     {{"class_names", data_.train->class_names()},
                                      {"epoch", epoch},
                                      {"description", models::to_json(description_)}});
    if (!metrics) return;
    const auto& m = *metrics;
    if (folder_)
      folder_->record("metrics-val.jsonl", {{"epoch", epoch},
                                            {"mIoU", m.mean_iou},
                                            {"fg_mIoU", m.fg_mean_iou},
                                            {"pACC", m.pixel_accuracy},
                                            {"per_class_iou", m.iou}});
    if (m.mean_iou > r_.best_miou) r_.best_miou = m.mean_iou, r_.best_epoch = epoch;
  }

  void save_state(int64_t epoch) const {
    core::TensorDict st = train::optimizer_state(*opt_, oc_, names_, "opt.");
    if (ssl_) {
      st.update(core::state_dict(seg_->module()), "student.");
      ssl_->save(st);
    }
    train::save_rng_states(st, device_);
    core::write_safetensors(state_path_, st,
                            {{"epochs_done", std::to_string(epoch + 1)},
                             {"steps", std::to_string(steps_)},
                             {"best_miou", core::metadata_number(r_.best_miou)},
                             {"best_epoch", std::to_string(r_.best_epoch)},
                             {"first_loss", core::metadata_number(r_.first_loss)}});
  }

  int rank() const { return group_ ? group_->rank() : 0; }

  const SegmenterTrainConfig& c_;
  const std::string outdir_;
  const torch::Device device_;
  const ProgressFn progress_;
  train::ProcessGroup* const group_;
  SegmenterData data_;
  EpochPlan plan_;
  const std::string state_path_;
  std::unique_ptr<train::RunFolder> folder_;
  SurveyedInputs inputs_;
  std::unique_ptr<models::Segmenter> seg_;   ///< the network being trained (mean teacher's student)
  std::unique_ptr<SemiSupervisedTerm> ssl_;  ///< with unlabelled images
  train::OptimizerConfig oc_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  std::vector<std::string> names_;
  F::CrossEntropyFuncOptions loss_options_;
  models::ModelDescription description_;
  SegmenterTrainResult r_;
  int64_t start_epoch_ = 0, steps_ = 0;
  double epoch_loss_ = 0;  ///< the mean loss of the epoch just run
};

}  // namespace

SegmenterTrainResult train_segmenter(const SegmenterTrainConfig& c, const std::string& outdir,
                                     torch::Device device, const ProgressFn& progress,
                                     train::ProcessGroup* group) {
  check_segmenter_settings(c, group != nullptr);
  return SegmenterRun(c, outdir, device, progress, group).run();
}

}  // namespace lagm::downstream

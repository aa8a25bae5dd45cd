#include "lagm/method/segmenter_trainer.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/data_survey.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/eval/evaluate.h"
#include "lagm/io/run_directory.h"
#include "lagm/method/augmentation.h"
#include "lagm/method/gm_step.h"
#include "lagm/method/prior_calibration.h"
#include "lagm/method/segmenter_checkpoint.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/model_description.h"
#include "lagm/models/segmenter.h"
#include "lagm/train/distributed.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/rate_meter.h"
#include "lagm/train/run_folder.h"
#include "lagm/train/training_state.h"

namespace lagm::method {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

std::string epoch_checkpoint(const std::string& outdir, int64_t epoch) {
  char name[40];
  std::snprintf(name, sizeof name, "segmenter-%03lld.safetensors", static_cast<long long>(epoch));
  return (fs::path(outdir) / name).string();
}

// `count` sample indices of a data set of `n`: reshuffled copies of 0..n-1, one after another.
torch::Tensor shuffled_indices(int64_t n, int64_t count) {
  std::vector<torch::Tensor> perms;
  for (int64_t have = 0; have < count; have += n)
    perms.push_back(torch::randperm(n, torch::kInt64));
  return torch::cat(perms);
}

// The sample indices order[begin, end) of one batch.
std::vector<size_t> batch_indices(const torch::Tensor& order, int64_t begin, int64_t end) {
  const auto o = order.accessor<int64_t, 1>();
  std::vector<size_t> idx;
  for (int64_t i = begin; i < end; ++i) idx.push_back(static_cast<size_t>(o[i]));
  return idx;
}

// Copies a trained segmenter's weights into `seg`; its architecture and classes must be the same.
void start_from(models::Segmenter& seg, const std::string& path,
                const data::LabelledDataset& train) {
  const auto init = load_segmenter(path);
  if (!init.class_names.empty() && init.class_names != train.class_names())
    throw InputError(path +
                     ": --init segmenter was trained on other classes than the training data");
  auto tensors = core::state_dict(init.segmenter->module());
  tensors.source = path + " (--init)";
  // Names every missing, unexpected or misshapen tensor.
  core::load_state_dict(seg.module(), tensors);
}

// One data-parallel step's forward and backward: this process's share of the batch (x, y), its
// loss normalised by the whole batch's (the sum over its valid pixels of their class weights, as
// the mean-reduced loss of one process divides by), and the gradients summed over the processes.
// So the step is that of one process with the whole batch, whatever the shares' sizes, ignored
// pixels or class weights (BatchNorm aside: per-process statistics unless synchronized). Returns
// the whole batch's loss.
double share_loss_backward(models::Segmenter& seg, const torch::Tensor& x, const torch::Tensor& y,
                           const F::CrossEntropyFuncOptions& options, train::ProcessGroup& group,
                           torch::Device device) {
  const auto [begin, end] = train::rank_rows(x.size(0), group.rank(), group.world_size());
  const auto xs = x.narrow(0, begin, end - begin).to(device);
  const auto ys = y.narrow(0, begin, end - begin).to(device);
  const auto valid = ys != 255;
  const auto& weight = options.weight();
  auto normaliser = weight.defined()
                        ? weight.index({ys.masked_select(valid)}).sum().to(torch::kFloat64)
                        : valid.sum().to(torch::kFloat64);
  std::vector<torch::Tensor> total{normaliser.reshape({1}).cpu()};
  group.all_reduce_sum(total);
  auto sum_options = options;
  sum_options.reduction(torch::kSum);
  // The batches are drawn from the global random stream on every process alike; a forward pass
  // that draws from it (DeepLab's dropout) on shares of different sizes would make the processes'
  // streams, and so their next batches, differ. The stream is put back as it was.
  const auto stream = train::rng_state(torch::kCPU);
  const auto loss = F::cross_entropy(seg.forward(xs), ys, sum_options) / total[0].item<double>();
  loss.backward();
  train::set_rng_state(torch::kCPU, stream);
  train::all_reduce_gradients(group, seg.module());
  std::vector<torch::Tensor> value{loss.detach().to(torch::kFloat64).reshape({1}).cpu()};
  group.all_reduce_sum(value);
  return value[0].item<double>();
}

// Validation metrics; data-parallel: each process evaluates its share of the images and the
// confusion matrices are summed.
eval::SegmentationMetrics validate(models::Segmenter& seg, const data::LabelledDataset& val,
                                   torch::Device device, train::ProcessGroup* group) {
  if (!group) return eval::evaluate_segmenter(seg, val, device).metrics();
  auto cm = eval::evaluate_segmenter(seg, val, device, 1, {group->rank(), group->world_size()});
  std::vector<torch::Tensor> counts{cm.counts().clone()};
  group->all_reduce_sum(counts);
  eval::ConfusionMatrix total(cm.num_classes());
  total.add_counts(counts[0]);
  return total.metrics();
}

// Every input read once before training (see data::survey_dataset), as data.json records them.
struct SurveyedInputs {
  data::DataSurvey train, mix;  ///< mix: empty without --mix-data
  nlohmann::json record;
};

SurveyedInputs survey_inputs(const SegmenterTrainConfig& c, const data::LabelledDataset& train,
                             const data::LabelledDataset* val, const data::LabelledDataset* mix) {
  SurveyedInputs inputs;
  auto add = [&](const char* option, const data::DatasetSpec& spec,
                 const data::LabelledDataset& set) {
    auto survey = data::survey_dataset(set, std::string("train-seg ") + option);
    inputs.record[option] = {{"source", spec.describe()},
                             {"fingerprint", survey.fingerprint},
                             {"images", survey.images}};
    return survey;
  };
  inputs.train = add("--data", c.data, train);
  if (val) add("--val", c.validation, *val);
  if (mix) inputs.mix = add("--mix-data", c.mix_data, *mix);
  return inputs;
}

// A batch whose every pixel is 255 has no loss to take the mean of (it would be NaN).
bool has_labelled_pixels(const torch::Tensor& labels) { return (labels != 255).any().item<bool>(); }

}  // namespace

SegmenterTrainResult train_segmenter(const SegmenterTrainConfig& c, const std::string& outdir,
                                     torch::Device device, const ProgressFn& progress,
                                     train::ProcessGroup* group) {
  if (c.epochs < 1 || c.batch < 1) throw UsageError("train-seg: --epochs and --batch must be >= 1");
  if (!(std::isfinite(c.lr) && c.lr > 0))
    throw UsageError("train-seg: --lr must be a finite number > 0");
  if (!(c.class_balance_power >= 0 && c.class_balance_power <= 1))
    throw UsageError("train-seg: --class-balance must be in [0, 1]");
  const auto train_ptr = data::open_labelled_dataset(c.data, "train-seg --data");
  const auto& train = *train_ptr;
  if (train.size() == 0) throw InputError(c.data.describe() + ": no training images");
  std::unique_ptr<data::LabelledDataset> val;
  if (!c.validation.empty()) val = data::open_labelled_dataset(c.validation, "train-seg --val");
  if (val && val->num_classes() != train.num_classes())
    throw InputError(c.validation.describe() + ": " + std::to_string(val->num_classes()) +
                     " classes, but the training data (" + c.data.describe() + ") has " +
                     std::to_string(train.num_classes()));
  std::unique_ptr<data::LabelledDataset> mix;
  if (!c.mix_data.empty()) {
    if (c.mix_per_batch < 1 || c.mix_per_batch >= c.batch)
      throw UsageError("train-seg: --mix-per-batch must be in [1, --batch) with --mix-data");
    mix = data::open_labelled_dataset(c.mix_data, "train-seg --mix-data");
    if (mix->class_names() != train.class_names())
      throw InputError(c.mix_data.describe() + ": its classes differ from the training data's (" +
                       c.data.describe() + ")");
    if (mix->size() == 0) throw InputError(c.mix_data.describe() + ": no images to mix in");
  } else if (c.mix_per_batch != 0) {
    throw UsageError("train-seg: --mix-per-batch needs --mix-data");
  }
  // Data-parallel: every process draws the same batches (same seed) and takes its share of each;
  // rank 0 alone writes the run folder.
  const int rank = group ? group->rank() : 0, world = group ? group->world_size() : 1;
  std::unique_ptr<train::RunFolder> folder;
  if (rank == 0) folder = std::make_unique<train::RunFolder>(outdir);
  const std::string state_path = (fs::path(outdir) / "train_state.safetensors").string();
  if (folder && fs::exists(state_path) && folder->has_config()) {
    const auto changes = resume_conflicts(folder->read_config(), c);
    if (!changes.empty())
      throw UsageError(outdir + ": holds a run of another configuration (" + changes +
                       "); continue it with --resume " + outdir + " or train into another --out");
  }
  const auto inputs = survey_inputs(c, train, val.get(), mix.get());
  if (folder) folder->claim_data(inputs.record, fs::exists(state_path));
  if (c.sync_batch_norm && !group)
    throw UsageError("train-seg: --sync-bn needs a data-parallel run (lagm launch)");
  torch::manual_seed(c.seed);
  auto s_json = c.segmenter;
  s_json["num_classes"] = train.num_classes();
  models::Segmenter seg(models::segmenter_config_from_json(s_json, "train-seg segmenter"));
  if (!c.backbone_weights.empty())
    models::load_imagenet_backbone(seg, core::read_safetensors(c.backbone_weights).tensors);
  seg.module().to(device);
  train::OptimizerConfig oc;
  oc.kind = "adam";
  oc.lr = c.lr;
  auto opt = train::make_optimizer(oc, seg.module().parameters());
  const auto names = train::parameter_names(seg.module());
  auto loss_options = F::CrossEntropyFuncOptions().ignore_index(255);
  std::vector<double> class_weights;
  if (c.class_balance_power > 0) {
    // The frequencies of the batches the loss sees: with mixed-in labels, those of the mixture.
    // From the training set alone, a class it nearly lacks (an annotator that labels 4 ear pixels
    // in 2000 images) got a weight 10^4 times the background's, and the mixed-in labels of that
    // class then taught the network to paint it over the background.
    auto frequencies = inputs.train.class_frequencies;
    if (mix)
      frequencies = mixed_class_frequencies(
          frequencies, inputs.mix.class_frequencies,
          static_cast<double>(c.mix_per_batch) / static_cast<double>(c.batch));
    const auto weights = class_balance_weights(frequencies, c.class_balance_power);
    class_weights.assign(weights.data_ptr<double>(), weights.data_ptr<double>() + weights.numel());
    loss_options.weight(weights.to(torch::TensorOptions().dtype(torch::kFloat32).device(device)));
  }

  SegmenterTrainResult r;
  r.class_weights = class_weights;
  r.outdir = outdir;
  int64_t start_epoch = 0, steps = 0;
  if (folder) folder->write_config(to_json(c));  // a resumed run records its new length
  if (fs::exists(state_path)) {                  // resume after the last finished epoch
    auto st = core::read_safetensors(state_path);
    start_epoch = std::stoll(st.metadata.at("epochs_done"));
    steps = std::stoll(st.metadata.at("steps"));
    r.best_miou = std::stod(st.metadata.at("best_miou"));
    r.best_epoch = std::stoll(st.metadata.at("best_epoch"));
    r.first_loss = std::stod(st.metadata.at("first_loss"));
    core::load_state_dict(
        seg.module(),
        models::read_model_checkpoint(epoch_checkpoint(outdir, start_epoch - 1)).tensors);
    train::load_optimizer_state(*opt, oc, names, st.tensors, "opt.");
    train::restore_rng_states(st.tensors, device);
    // An epoch validated but not saved is repeated now: drop its old line.
    if (folder)
      folder->forget_records_after("epoch", static_cast<double>(start_epoch - 1),
                                   {"metrics-val.jsonl"});
    if (progress && rank == 0) progress("resumed after epoch " + std::to_string(start_epoch - 1));
  } else {
    // A resumed run has its own weights and needs no init file.
    if (!c.init.empty()) start_from(seg, c.init, train);
  }
  const int64_t n = static_cast<int64_t>(train.size());
  const int64_t per_epoch = c.samples_per_epoch > 0 ? c.samples_per_epoch : n;
  const int64_t steps_per_epoch = (per_epoch + c.batch - 1) / c.batch;
  // With mixing each step takes `main_per_batch` samples of the training data and the rest of the
  // batch from the mixed-in set; the number of steps stays that of the training data alone.
  const int64_t mix_per_batch = mix ? c.mix_per_batch : 0;
  const int64_t main_per_batch = c.batch - mix_per_batch;
  const Augmentation main_augmentation{c.flip, c.scale_crop, c.color_jitter};
  const Augmentation mix_augmentation = Augmentation::all();
  if (group) {
    // Every process needs a sample of every batch, the last and smallest included.
    const int64_t last = std::min(per_epoch, steps_per_epoch * main_per_batch) -
                         (steps_per_epoch - 1) * main_per_batch;
    if (std::min(main_per_batch, last) + mix_per_batch < world)
      throw UsageError("train-seg: a batch of " + std::to_string(last + mix_per_batch) +
                       " samples cannot be shared out among " + std::to_string(world) +
                       " processes; use a larger --batch or --samples-per-epoch, or fewer "
                       "processes");
  }
  // What the checkpoints tell whoever receives them; the input size is the training images'.
  const auto first = train.get(0).image;
  seg.require_input_size(first.size(1), first.size(2), c.data.describe());
  seg.require_memory_for(std::min(main_per_batch, per_epoch) + mix_per_batch, first.size(1),
                         first.size(2), true);
  const int64_t mixed = mix ? static_cast<int64_t>(mix->size()) : 0;
  auto description = models::describe_training(
      train.class_names(), first.size(1), first.size(2), static_cast<int64_t>(train.size()) + mixed,
      c.data.describe() +
          (mix ? " + " + std::to_string(mixed) + " mixed in from " + c.mix_data.describe() : ""),
      device.str(), "fp32", world);
  train::RateMeter meter(start_epoch, c.epochs);
  std::unique_ptr<train::GroupSum> group_sum;
  std::unique_ptr<nn::SyncBatchNormScope> sync_bn;
  if (c.sync_batch_norm) {
    group_sum = std::make_unique<train::GroupSum>(*group);
    sync_bn = std::make_unique<nn::SyncBatchNormScope>(*group_sum);
  }
  for (int64_t epoch = start_epoch; epoch < c.epochs; ++epoch) {
    seg.module().train();
    const auto order = shuffled_indices(n, per_epoch);
    const int64_t main_per_epoch = std::min(per_epoch, steps_per_epoch * main_per_batch);
    torch::Tensor mix_order;
    if (mix)
      mix_order =
          shuffled_indices(static_cast<int64_t>(mix->size()), steps_per_epoch * mix_per_batch);
    double loss_sum = 0;
    int64_t loss_n = 0;
    for (int64_t b = 0; b < steps_per_epoch; ++b) {
      if (c.max_steps > 0 && steps >= c.max_steps) break;
      auto [x, y] = data::load_batch(
          train, batch_indices(order, b * main_per_batch,
                               std::min(main_per_epoch, (b + 1) * main_per_batch)));
      std::tie(x, y) = augment_batch(x, y, main_augmentation);
      if (mix) {
        auto [mx, my] = data::load_batch(
            *mix, batch_indices(mix_order, b * mix_per_batch, (b + 1) * mix_per_batch));
        std::tie(mx, my) = augment_batch(mx, my, mix_augmentation);
        x = torch::cat({x, mx});
        y = torch::cat({y, my});
      }
      if (!has_labelled_pixels(y)) continue;  // the same on every process: same batches
      opt->zero_grad();
      double loss_value = 0;
      if (!group) {
        auto loss = F::cross_entropy(seg.forward(x.to(device)), y.to(device), loss_options);
        loss_value = loss.item<double>();
        require_finite_loss(loss_value, "the training loss",
                            "epoch " + std::to_string(epoch) + ", step " + std::to_string(steps));
        loss.backward();
      } else {
        loss_value = share_loss_backward(seg, x, y, loss_options, *group, device);
        require_finite_loss(loss_value, "the training loss",
                            "epoch " + std::to_string(epoch) + ", step " + std::to_string(steps));
      }
      opt->step();
      loss_sum += loss_value;
      ++loss_n;
      ++steps;
    }
    const double mean_loss = loss_n ? loss_sum / loss_n : 0.0;
    if (epoch == 0) r.first_loss = mean_loss;
    r.last_loss = mean_loss;
    std::string line;
    char buf[256];
    const int64_t epochs_done = epoch + 1;
    meter.update(epochs_done);
    std::snprintf(buf, sizeof buf, "epoch %lld/%lld  loss %.4f  %.1f s/epoch  ETA %s",
                  static_cast<long long>(epochs_done), static_cast<long long>(c.epochs), mean_loss,
                  meter.seconds_per_unit(), meter.eta_text().c_str());
    line = buf;
    // Validated before the checkpoint is written, so that the checkpoint carries its metrics.
    std::optional<eval::SegmentationMetrics> metrics;
    if (val) {
      metrics = validate(seg, *val, device, group);
      std::snprintf(buf, sizeof buf, "  val mIoU %.4f  FG-mIoU %.4f", metrics->mean_iou,
                    metrics->fg_mean_iou);
      line += buf;
    }
    description.validation = nlohmann::json();
    if (metrics)
      description.validation = {{"epoch", epoch},
                                {"mIoU", metrics->mean_iou},
                                {"fg_mIoU", metrics->fg_mean_iou},
                                {"pACC", metrics->pixel_accuracy},
                                {"data", c.validation.describe()}};
    if (folder)
      models::write_model_checkpoint(epoch_checkpoint(outdir, epoch), "segmenter",
                                     to_json(seg.config()), seg.module(),
                                     {{"class_names", train.class_names()},
                                      {"epoch", epoch},
                                      {"description", models::to_json(description)}});
    if (metrics) {
      const auto& m = *metrics;
      if (folder)
        folder->record("metrics-val.jsonl", {{"epoch", epoch},
                                             {"mIoU", m.mean_iou},
                                             {"fg_mIoU", m.fg_mean_iou},
                                             {"pACC", m.pixel_accuracy},
                                             {"per_class_iou", m.iou}});
      if (m.mean_iou > r.best_miou) r.best_miou = m.mean_iou, r.best_epoch = epoch;
    }
    r.epochs_done = epoch + 1;
    if (!folder) continue;  // the other ranks of a data-parallel run write nothing
    folder->log(line);
    if (progress) progress(line);
    // The training state follows the checkpoint, so a crash between the two only repeats an epoch.
    core::TensorDict st = train::optimizer_state(*opt, oc, names, "opt.");
    train::save_rng_states(st, device);
    core::write_safetensors(state_path, st,
                            {{"epochs_done", std::to_string(epoch + 1)},
                             {"steps", std::to_string(steps)},
                             {"best_miou", core::metadata_number(r.best_miou)},
                             {"best_epoch", std::to_string(r.best_epoch)},
                             {"first_loss", core::metadata_number(r.first_loss)}});
  }
  return r;
}

}  // namespace lagm::method

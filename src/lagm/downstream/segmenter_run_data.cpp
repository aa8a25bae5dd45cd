#include "lagm/downstream/segmenter_run_data.h"

#include <torch/torch.h>

#include <cmath>
#include <string>

#include "lagm/core/error.h"
#include "lagm/data/dataset_spec.h"

namespace lagm::downstream {

namespace {

void check_semi_supervised_settings(const SegmenterTrainConfig& c, bool data_parallel) {
  if (c.unlabelled.empty()) {
    if (c.unlabelled_per_batch != 0)
      throw SettingError("unlabelled_per_batch", "needs {unlabelled}");
    return;
  }
  if (data_parallel)
    throw SettingError("unlabelled",
                       "(semi-supervised) runs in one process only, not under launch");
  if (c.unlabelled_per_batch < 0 || c.unlabelled_per_batch > 1024)
    throw SettingError("unlabelled_per_batch", "must be in [0, 1024]");
  check_semi_supervised_options(c.semi_supervised);
}

}  // namespace

void check_segmenter_settings(const SegmenterTrainConfig& c, bool data_parallel) {
  if (c.epochs < 1) throw SettingError("epochs", "must be >= 1");
  if (c.batch < 1) throw SettingError("batch", "must be >= 1");
  if (!(std::isfinite(c.lr) && c.lr > 0)) throw SettingError("lr", "must be a finite number > 0");
  if (!(c.class_balance_power >= 0 && c.class_balance_power <= 1))
    throw SettingError("class_balance_power", "must be in [0, 1]");
  if (c.mix_data.empty() && c.mix_per_batch != 0)
    throw SettingError("mix_per_batch", "needs {mix_data}");
  if (!c.mix_data.empty() && (c.mix_per_batch < 1 || c.mix_per_batch >= c.batch))
    throw SettingError("mix_per_batch", "must be in [1, {batch}) with {mix_data}");
  if (c.sync_batch_norm && !data_parallel)
    throw SettingError("sync_batch_norm", "needs a data-parallel run (lagm launch)");
  check_semi_supervised_settings(c, data_parallel);
}

SegmenterData open_segmenter_data(const SegmenterTrainConfig& c) {
  SegmenterData d;
  d.train = data::open_labelled_dataset(c.data, "train-seg --data");
  if (d.train->size() == 0) throw InputError(c.data.describe() + ": no training images");
  if (!c.validation.empty()) d.val = data::open_labelled_dataset(c.validation, "train-seg --val");
  if (d.val && d.val->num_classes() != d.train->num_classes())
    throw InputError(c.validation.describe() + ": " + std::to_string(d.val->num_classes()) +
                     " classes, but the training data (" + c.data.describe() + ") has " +
                     std::to_string(d.train->num_classes()));
  if (!c.mix_data.empty()) {
    d.mix = data::open_labelled_dataset(c.mix_data, "train-seg --mix-data");
    if (d.mix->class_names() != d.train->class_names())
      throw InputError(c.mix_data.describe() + ": its classes differ from the training data's (" +
                       c.data.describe() + ")");
    if (d.mix->size() == 0) throw InputError(c.mix_data.describe() + ": no images to mix in");
  }
  if (!c.unlabelled.empty()) {
    d.unlabelled = data::open_labelled_dataset(c.unlabelled, "train-seg --unlabelled");
    if (d.unlabelled->size() == 0) throw InputError(c.unlabelled.describe() + ": no images");
  }
  return d;
}

SurveyedInputs survey_inputs(const SegmenterTrainConfig& c, const SegmenterData& data) {
  SurveyedInputs inputs;
  auto add = [&](const char* option, const data::DatasetSpec& spec,
                 const data::LabelledDataset& set) {
    auto survey = data::survey_dataset(set, std::string("train-seg ") + option);
    inputs.record[option] = {{"source", spec.describe()},
                             {"fingerprint", survey.fingerprint},
                             {"images", survey.images}};
    return survey;
  };
  inputs.train = add("--data", c.data, *data.train);
  if (data.val) add("--val", c.validation, *data.val);
  if (data.mix) inputs.mix = add("--mix-data", c.mix_data, *data.mix);
  if (data.unlabelled) add("--unlabelled", c.unlabelled, *data.unlabelled);
  return inputs;
}

EpochPlan::EpochPlan(const SegmenterTrainConfig& c, int64_t train_size, bool mixing)
    : n(train_size),
      per_epoch(c.samples_per_epoch > 0 ? c.samples_per_epoch : train_size),
      steps((per_epoch + c.batch - 1) / c.batch),
      mix_per_batch(mixing ? c.mix_per_batch : 0),
      main_per_batch(c.batch - mix_per_batch) {}

void EpochPlan::check_shares(int world) const {
  // Every process needs a sample of every batch, the last and smallest included.
  const int64_t last = main_per_epoch() - (steps - 1) * main_per_batch;
  if (std::min(main_per_batch, last) + mix_per_batch < world)
    throw UsageError("train-seg: a batch of " + std::to_string(last + mix_per_batch) +
                     " samples cannot be shared out among " + std::to_string(world) +
                     " processes; use a larger --batch or --samples-per-epoch, or fewer "
                     "processes");
}

torch::Tensor shuffled_indices(int64_t n, int64_t count) {
  std::vector<torch::Tensor> perms;
  for (int64_t have = 0; have < count; have += n)
    perms.push_back(torch::randperm(n, torch::kInt64));
  return torch::cat(perms);
}

std::vector<size_t> batch_indices(const torch::Tensor& order, int64_t begin, int64_t end) {
  const auto o = order.accessor<int64_t, 1>();
  std::vector<size_t> idx;
  for (int64_t i = begin; i < end; ++i) idx.push_back(static_cast<size_t>(o[i]));
  return idx;
}

bool has_labelled_pixels(const torch::Tensor& labels) { return (labels != 255).any().item<bool>(); }

}  // namespace lagm::downstream

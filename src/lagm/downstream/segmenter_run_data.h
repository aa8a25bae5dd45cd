// What a downstream training run (method/segmenter_trainer) reads and how it cuts it into batches:
// its settings checked, its data sets opened and surveyed, the plan of an epoch's batches.
#pragma once

#include <torch/types.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "lagm/data/data_survey.h"
#include "lagm/data/labelled_dataset.h"
#include "lagm/downstream/segmenter_train_config.h"

namespace lagm::downstream {

/// UsageError for settings no run can have (epochs, batch, lr, class balance, mixing, --sync-bn
/// without processes), before anything is read.
void check_segmenter_settings(const SegmenterTrainConfig& c, bool data_parallel);

/// The data sets a run reads, opened and checked against each other (classes, emptiness).
struct SegmenterData {
  /// val, mix, unlabelled: null when not given
  std::unique_ptr<data::LabelledDataset> train, val, mix, unlabelled;
};
SegmenterData open_segmenter_data(const SegmenterTrainConfig& c);

/// Every input read once before training (data::survey_dataset), as data.json records them.
struct SurveyedInputs {
  data::DataSurvey train, mix;  ///< mix: empty without --mix-data
  nlohmann::json record;
};
SurveyedInputs survey_inputs(const SegmenterTrainConfig& c, const SegmenterData& data);

/// How an epoch is cut into batches: with mixing each step takes `main_per_batch` samples of the
/// training data and the rest of the batch from the mixed-in set; the number of steps stays that
/// of the training data alone.
struct EpochPlan {
  int64_t n = 0, per_epoch = 0, steps = 0, mix_per_batch = 0, main_per_batch = 0;

  EpochPlan(const SegmenterTrainConfig& c, int64_t train_size, bool mixing);
  int64_t main_per_epoch() const { return std::min(per_epoch, steps * main_per_batch); }
  int64_t largest_batch() const { return std::min(main_per_batch, per_epoch) + mix_per_batch; }
  /// UsageError when a process of a data-parallel run of `world` would get no sample of a batch.
  void check_shares(int world) const;
};

/// `count` sample indices of a data set of `n`: reshuffled copies of 0..n-1, one after another.
torch::Tensor shuffled_indices(int64_t n, int64_t count);

/// The sample indices order[begin, end) of one batch.
std::vector<size_t> batch_indices(const torch::Tensor& order, int64_t begin, int64_t end);

/// False for a batch whose every pixel is 255: it has no loss to take the mean of (NaN).
bool has_labelled_pixels(const torch::Tensor& labels);

}  // namespace lagm::downstream

// The options of a downstream training run (`lagm train-seg`), as the run folder's config.json
// records them: a resumed run takes them from there, so that it is the run that was started.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/data/dataset_spec.h"
#include "lagm/downstream/semi_supervised.h"
#include "lagm/models/segmenter.h"

namespace lagm::downstream {

/// Options of `train_segmenter`.
struct SegmenterTrainConfig {
  data::DatasetSpec data;
  data::DatasetSpec validation;       ///< path empty = none
  models::SegmenterConfig segmenter;  ///< num_classes 0: taken from the data
  std::string backbone_weights;       ///< torchvision ResNet safetensors for DeepLab (optional)
  /// Start from the weights of a trained segmenter (a train-seg checkpoint or a train-annotator
  /// snapshot) of the same architecture and classes: fine-tuning, e.g. on the few real labels after
  /// training on a synthesized set. Empty = random (or backbone) initialisation.
  std::string init;
  int64_t epochs = 20, batch = 8;
  double lr = 1e-3;
  bool flip = false;          ///< random horizontal flips
  bool scale_crop = false;    ///< random scale in [0.75, 1.25] then crop/pad back to size
  bool color_jitter = false;  ///< random brightness, contrast and saturation (+-25 %) per image
  /// Class-balanced cross entropy: class c weighs (its pixel frequency in the training data)^-p,
  /// scaled to a mean pixel weight of 1 (train::class_balance_weights). 0 = the reference's loss.
  /// Why: a part covering 0.5 % of the pixels otherwise hardly moves the loss, and a short training
  /// learns it on one run and not on the next.
  double class_balance_power = 0;
  /// Samples per epoch: 0 = the data set once; more repeats reshuffled copies, so a few labelled
  /// images get the same number of steps per epoch as a large data set.
  int64_t samples_per_epoch = 0;
  /// Real labelled images mixed into every batch (semi-supervised downstream training):
  /// `mix_per_batch` of each batch's samples come from `mix_data`, always with flips, scale/crop
  /// and colour jitter (the few-label recipe, so that a handful of images is not memorised), the
  /// others from `data` with the flags above. Steps per epoch and batch size stay those of `data`
  /// alone, so a mixed run costs what a plain one costs. The class weights are those of the
  /// mixture (both sets' frequencies, weighted by their shares of a batch).
  /// Empty path = no mixing.
  data::DatasetSpec mix_data;
  int64_t mix_per_batch = 0;
  /// Semi-supervised training (downstream/semi_supervised.h: mean teacher or the adversarial
  /// segmenter): `unlabelled_per_batch` images of this set (a folder data set; its labels are not
  /// used) beside every batch. Empty path = off, and none of these settings is recorded.
  data::DatasetSpec unlabelled;
  int64_t unlabelled_per_batch = 0;  ///< 0 = `batch`
  SemiSupervisedOptions semi_supervised;
  uint64_t seed = 0;
  /// Data-parallel runs: BatchNorm layers normalise with the statistics of the whole batch over
  /// every process (U-Net and DeepLab), so that N processes train as one would.
  bool sync_batch_norm = false;
  int64_t max_steps =
      0;  ///< stop after this many optimizer steps in total (0 = all epochs); for tests
};

/// The resolved options as the run folder's config.json records them.
nlohmann::json to_json(const SegmenterTrainConfig& c);
/// The inverse of to_json; unknown keys and wrong types are InputErrors naming `where`.
SegmenterTrainConfig segmenter_train_config_from_json(const nlohmann::json& j,
                                                      const std::string& where);

/// The configuration a run folder records (its config.json); InputError naming the folder when it
/// holds no train-seg run.
SegmenterTrainConfig read_segmenter_run_config(const std::string& run_dir);

/// Why `given` cannot continue the run recorded as `recorded` (config.json): the options it
/// changes, e.g. "lr 0.001 -> 0.002", or "" when it may. A resumed run may change its length
/// (epochs, max_steps) only; any other difference would make one run of two configurations.
std::string resume_conflicts(const nlohmann::json& recorded, const SegmenterTrainConfig& given);

}  // namespace lagm::downstream

// Phase II, part 2 (`lagm train-seg`): a downstream segmentation network trained on a labelled
// data set (usually synthesized) as the reference's downstream_seg.py does: Adam 1e-3, cross
// entropy with 255 ignored, a checkpoint per epoch, validation each epoch; resumable, shuffled
// every epoch (the reference's single-GPU path does not shuffle), optional augmentation.
#pragma once

#include <torch/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/core/progress.h"
#include "lagm/data/dataset_spec.h"

namespace lagm::train {
class ProcessGroup;
}

namespace lagm::method {

/// Options of `train_segmenter`.
struct SegmenterTrainConfig {
  data::DatasetSpec data;
  data::DatasetSpec validation;                   ///< path empty = none
  nlohmann::json segmenter = {{"arch", "unet"}};  ///< without num_classes (taken from the data)
  std::string backbone_weights;  ///< torchvision ResNet safetensors for DeepLab (optional)
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
  /// scaled to a mean pixel weight of 1 (method::class_balance_weights). 0 = the reference's loss.
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
  uint64_t seed = 0;
  /// Data-parallel runs: BatchNorm layers normalise with the statistics of the whole batch over
  /// every process (U-Net only), so that N processes train as one would.
  bool sync_batch_norm = false;
  int64_t max_steps =
      0;  ///< stop after this many optimizer steps in total (0 = all epochs); for tests
};

/// The resolved options as the run folder's config.json records them.
nlohmann::json to_json(const SegmenterTrainConfig& c);

struct SegmenterTrainResult {
  std::string outdir;
  int64_t epochs_done = 0;
  double first_loss = 0, last_loss = 0;  ///< mean loss of the first and the last epoch
  double best_miou = -1;
  int64_t best_epoch = -1;
  std::vector<double> class_weights;  ///< the loss's weight per class; empty when unweighted
};

/// Trains into `outdir` (config.json, segmenter-EEE.safetensors per epoch,
/// train_state.safetensors, log.txt, metrics-val.jsonl); resumes from the last finished epoch when
/// outdir already holds one. With a `group`, data-parallel: each process of the group calls it with
/// the same config and takes its share of every batch; the gradients are summed so that a step is
/// that of one process with the whole batch (BatchNorm statistics per process, as PyTorch's
/// DistributedDataParallel, unless config.sync_batch_norm); rank 0 writes the folder.
SegmenterTrainResult train_segmenter(const SegmenterTrainConfig& config, const std::string& outdir,
                                     torch::Device device, const ProgressFn& progress = {},
                                     train::ProcessGroup* group = nullptr);

}  // namespace lagm::method

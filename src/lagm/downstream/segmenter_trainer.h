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
#include "lagm/downstream/segmenter_train_config.h"

namespace lagm::train {
class ProcessGroup;
}

namespace lagm::downstream {

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

}  // namespace lagm::downstream

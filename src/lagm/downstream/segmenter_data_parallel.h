// The data-parallel pieces of downstream training: a step over this process's share of a batch and
// validation over this process's share of the images, both summed over the process group.
#pragma once

#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include "lagm/data/labelled_dataset.h"
#include "lagm/eval/confusion_matrix.h"
#include "lagm/models/segmenter.h"

namespace lagm::train {
class ProcessGroup;
}

namespace lagm::downstream {

/// One data-parallel step's forward and backward: this process's share of the batch (x, y), its
/// loss normalised by the whole batch's (the sum over its valid pixels of their class weights, as
/// the mean-reduced loss of one process divides by), and the gradients summed over the processes.
/// So the step is that of one process with the whole batch, whatever the shares' sizes, ignored
/// pixels or class weights (BatchNorm aside: per-process statistics unless synchronized). Returns
/// the whole batch's loss.
double share_loss_backward(models::Segmenter& seg, const torch::Tensor& x, const torch::Tensor& y,
                           const torch::nn::functional::CrossEntropyFuncOptions& options,
                           train::ProcessGroup& group, torch::Device device);

/// Validation metrics; data-parallel (`group` not null): each process evaluates its share of the
/// images and the confusion matrices are summed.
eval::SegmentationMetrics validate_segmenter(models::Segmenter& seg,
                                             const data::LabelledDataset& val, torch::Device device,
                                             train::ProcessGroup* group);

}  // namespace lagm::downstream

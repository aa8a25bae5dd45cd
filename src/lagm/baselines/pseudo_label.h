// The pseudo-labelling baseline's annotator: a segmentation network trained on the few
// labels labels generated images, and an annotator is fitted to those labels by cross entropy on
// the generator's features. The result is written as a phase-I run directory (one snapshot, S =
// the labeller), so `synthesize` and everything after it treat both arms the same way.
#pragma once

#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

#include "lagm/core/progress.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"

namespace lagm::baselines {

struct PseudoLabelOptions {
  std::string generator;  ///< generator checkpoint
  models::SamplingOptions sampling;
  int64_t tmp_channels = 128, num_layers = 3;  ///< annotator FPN
  int64_t steps = 300, batch = 4;
  double lr = 1e-3;  ///< Adam
  uint64_t seed = 0;
};

/// Fits the annotator and writes run_dir/snapshots/<steps>.safetensors; returns its path.
std::string fit_annotator_to_labeller(const PseudoLabelOptions& options,
                                      models::Segmenter& labeller,
                                      const std::vector<std::string>& class_names,
                                      const std::string& run_dir, torch::Device device,
                                      const ProgressFn& progress = {});

}  // namespace lagm::baselines

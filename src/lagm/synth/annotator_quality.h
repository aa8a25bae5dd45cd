// How good an annotator's labels are, measured in seconds and without downstream training: the
// annotator labels generated images exactly as synthesis would (same seeds scheme, sampling and
// optional prior calibration), an oracle segmenter labels the same 8-bit images, and the two label
// maps are compared per class (IoU, annotator = prediction, oracle = truth), beside the class
// frequencies of both and of the labelled set. In the built-in domain the oracle is a U-Net trained
// on many labelled renders; with a real generator any good segmenter of the domain can stand in.
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/eval/confusion_matrix.h"
#include "lagm/models/segmenter.h"

namespace lagm::synth {

struct AnnotatorQualityOptions {
  std::string run_dir;            ///< a train-annotator (or pseudo-label) run
  std::string snapshot = "best";  ///< best, latest or an iteration
  int64_t num = 200;              ///< generated images
  uint64_t seed_base = 7000000;   ///< image i uses this + i
  bool calibrate_priors = false;  ///< as `synthesize --calibrate-priors`
  int64_t calibration_images = 64;
  torch::Device device = torch::kCPU;
};

struct AnnotatorQuality {
  std::string snapshot;
  std::vector<std::string> class_names;
  eval::SegmentationMetrics
      vs_oracle;  ///< IoU per class of the annotator's labels against the oracle's
  std::vector<double> annotator_frequencies, oracle_frequencies, labelled_frequencies;
  std::vector<double> logit_offsets;  ///< empty without calibration
  nlohmann::json to_json() const;
};

/// `oracle` must have the annotator's classes (`oracle_class_names`, checked before any work).
AnnotatorQuality measure_annotator_quality(const AnnotatorQualityOptions& options,
                                           models::Segmenter& oracle,
                                           const std::vector<std::string>& oracle_class_names);

}  // namespace lagm::synth

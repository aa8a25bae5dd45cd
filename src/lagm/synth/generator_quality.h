// How well a generator draws the built-in faces domain, measured with an "oracle" segmenter trained
// on labelled renders: the class-frequency histogram of the oracle's labels on generated images
// against the same on renders (L1 distance), and the fraction of images whose labelling has exactly
// two eye regions. `lagm gan-quality` prints it.
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>

#include "lagm/core/progress.h"
#include "lagm/eval/part_statistics.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"

namespace lagm::synth {

struct GeneratorQualityOptions {
  int64_t num = 1000;  ///< generated images, and as many renders (seeds 4000000 + i)
  int64_t batch = 50;
  int64_t min_region = 2;  ///< smallest eye region counted (pixels)
  double psi = 1.0;        ///< truncation of the generated images (every layer)
  uint64_t seed = 0;       ///< latents: the global stream after manual_seed(seed)
  torch::Device device = torch::kCPU;
};

struct GeneratorQuality {
  eval::PartStatistics
      generated;  ///< the oracle's labels on generated images (as synthesized, 8-bit)
  eval::PartStatistics renders;  ///< the oracle's labels on renders
  eval::PartStatistics truth;    ///< the renders' own labels
  double l1_generated_vs_renders = 0;
  /// {"generated": {"class_fraction", "two_eyes"}, "renders": ..., "truth": ...,
  /// "l1_generated_vs_renders"}
  nlohmann::json to_json() const;
};

/// `oracle` must label the faces domain's classes (InputError otherwise). Changes the generator's
/// sampling settings to `options.psi` over every layer.
GeneratorQuality measure_generator_quality(models::FeatureGenerator& generator,
                                           models::Segmenter& oracle,
                                           const GeneratorQualityOptions& options,
                                           const ProgressFn& progress = {});

}  // namespace lagm::synth

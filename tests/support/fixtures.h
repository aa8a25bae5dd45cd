// Small on-disk fixtures built by the tests themselves: a generator checkpoint from golden
// weights and labelled folder data sets.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/models/annotator_fpn.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"

namespace lagm::test {

/// Writes the 32px StyleGAN2 of golden case sg2_skip_r32 as a lagm checkpoint; returns its path.
std::string write_small_generator(const std::string& dir);

/// Writes `count` random 32x32 images with blocky masks of `num_classes` classes (seeded).
void write_random_folder_dataset(const std::string& dir, int count, int num_classes, int size = 32,
                                 int seed = 0);

/// Writes `count` random images of 3 classes to dir/data and trains a U-Net of width 4 on them for
/// one epoch (one batch) into dir/seg; returns the checkpoint's path.
std::string write_small_segmenter(const std::string& dir, int count);

/// A phase-I config of a few seconds on the fixtures above (dir/G.safetensors, dir/labelled): tiny
/// A and S, 4 iterations, a snapshot every 2; `extra` overrides or adds keys.
nlohmann::json small_annotator_run_json(const std::string& dir,
                                        const nlohmann::json& extra = nlohmann::json::object());

/// The generator of write_small_generator, written to `dir` and loaded on the CPU.
std::unique_ptr<models::FeatureGenerator> small_feature_generator(const std::string& dir);

/// An FPN annotator of width 8 on `g`'s features (freshly initialised from the global seed).
models::AnnotatorFPN small_annotator(const models::FeatureGenerator& g, int64_t classes);

/// A U-Net of width 4 with `classes` outputs (freshly initialised from the global seed).
models::Segmenter small_unet(int64_t classes);

/// A small U-Net with weights of unit scale in eval mode, a labeller that gives several classes on
/// any image (a freshly initialised one gives one class everywhere).
models::Segmenter unit_scale_labeller(int64_t classes);

}  // namespace lagm::test

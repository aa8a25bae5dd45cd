// Configuration of phase I (`lagm train-annotator`): every setting typed, read from the project's
// JSON by one from_json. The reference's config files map onto the same struct
// (reference_config.h).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "lagm/data/labelled_dataset.h"

#include "lagm/method/gradient_matching.h"
#include "lagm/method/optimizer.h"
#include "lagm/method/transform_pipe.h"
#include "lagm/models/feature_generator.h"

namespace lagm::method {

/// A labelled data set: the project's folder layout (path, img_size, limit), or any data set
/// data::open_dataset knows (a paper loader, the reference's training_set_kwargs) in `source`.
struct DatasetSpec {
  std::string path;
  int64_t img_size = 0;  ///< square resize (0 = as stored)
  int64_t limit = 0;     ///< first N samples (0 = all)
  nlohmann::json source;  ///< {"class_name": ..., ...}; null = the folder fields above

  bool empty() const { return path.empty() && source.is_null(); }
  /// For messages: the folder, or the JSON object.
  std::string describe() const { return source.is_null() ? path : source.dump(); }
};

/// A folder path, {"path", "img_size", "limit"}, or an object with a "class_name" (kept as source).
DatasetSpec dataset_spec_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const DatasetSpec& d);
/// Opens the data set (data::open_dataset); errors name `where` and the data.
std::unique_ptr<data::LabelledDataset> open_labelled_dataset(const DatasetSpec& d, const std::string& where);

/// Everything `train-annotator` needs.
struct AnnotatorTrainConfig {
  std::string generator;  ///< generator checkpoint (.safetensors)
  models::SamplingOptions sampling;
  int64_t annotator_tmp_channels = 128, annotator_num_layers = 3;
  nlohmann::json segmenter = {{"arch", "unet"}};  ///< segmenter config without num_classes
  /// torchvision ImageNet ResNet weights (.safetensors) for a DeepLab segmenter's backbone; the
  /// reference builds S with pretrained_backbone=True. Empty = random initialisation.
  std::string segmenter_backbone;
  /// Where the reference adapter and configs/paper expect it (cwd-relative, like their data paths).
  static constexpr const char* kDefaultResnet101Path = "./checkpoints/resnet101-63fe2227.safetensors";
  /// A trained segmenter (train-seg checkpoint or phase-I snapshot) that S starts from instead of
  /// random weights, e.g. a network trained on the same N labels. Empty = the reference's start.
  std::string segmenter_init;
  /// An annotator snapshot (phase-I run or pseudo-labelling fit) that A starts from instead of
  /// random weights: gradient matching then refines its labels. Empty = the reference's start.
  std::string annotator_init;
  std::string gm_params = ".*";                   ///< preset name or regex
  MatcherOptions matcher;
  TransformOptions transform;  ///< applied to generated images and annotator logits in the loop
  OptimizerConfig annotator_optimizer, segmenter_optimizer;
  int64_t batch = 2;
  /// Labelled images per target gradient; 0 = `batch` (the reference). The labelled set's size
  /// makes the target the gradient of all labels at every step (less noise for rare parts).
  int64_t label_batch = 0;
  /// Class-balanced matching losses (GradientMatchingStep::set_class_weights): w_c proportional to
  /// the labelled set's class frequency ^ -power; 0 = the reference's unweighted losses.
  double class_balance_power = 0;
  /// S restarts from fresh random weights (and a fresh optimizer state) every this many
  /// iterations, as dataset condensation matches gradients over many networks; 0 = never (the
  /// reference). Why: one S trajectory gives A one view of the labelled set's gradient; restarts
  /// ask A's labels to match it at many states of S.
  int64_t segmenter_reset_interval = 0;
  int64_t total_iters = 150000;
  int64_t annotator_interval = 1, segmenter_interval = 1;  ///< phase X runs when iteration % X_interval == 0
  uint64_t seed = 0;
  DatasetSpec training_set;
  DatasetSpec validation_set;  ///< path empty = no validation
  int64_t niter_per_tick = 20;
  int64_t snapshot_ticks = 200;  ///< snapshot + grid + validation every this many ticks (and at the end)
  int64_t grid_size = 8;         ///< generated images in the annotator-label grids
  std::string run_name = "run";
};

/// {"wide_crop": bool, "resize": [H, W] | null} (also the reference's T_kwargs, class_name ignored).
TransformOptions transform_options_from_json(const nlohmann::json& j, const std::string& where);

/// Parses the project's JSON; unknown keys and invalid values throw InputError prefixed by `where`.
AnnotatorTrainConfig annotator_train_config_from_json(const nlohmann::json& j, const std::string& where);
/// The resolved config (every field), as written to the run directory.
nlohmann::json to_json(const AnnotatorTrainConfig& c);

}  // namespace lagm::method

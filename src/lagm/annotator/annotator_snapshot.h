// Phase-I snapshots: A, S, both optimizers' state, RNG and sampler state and the iteration, in one
// safetensors file written atomically; the metadata makes it self-describing so that synthesis and
// evaluation can rebuild A and S from it alone.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lagm/core/tensor_dict.h"
#include "lagm/data/dataset_spec.h"
#include "lagm/models/annotator.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"

namespace lagm::annotator {

/// Where a snapshot's annotator came from: what synthesis needs to rebuild its images. Every
/// learner records the generator and its sampling; phase I also the transform's crop and the
/// labelled set. Written with the snapshot (key "provenance"); snapshots written before it was
/// recorded have it read from their `run` (the same keys at its top level).
struct Provenance {
  /// "gradient_matching", "maml", "supervised", "datasetgan", "pseudo_label"; "" unrecorded.
  std::string learner;
  std::string generator;             ///< the generator whose features A learnt from ("": none)
  models::SamplingOptions sampling;  ///< psi, cutoff and noise mode of those images
  std::optional<bool> wide_crop;     ///< the transform's crop; unset where none was recorded
  std::optional<data::DatasetSpec> training_set;  ///< phase I's labelled set; unset otherwise
};

nlohmann::json to_json(const Provenance& provenance);
/// InputError "<where>..." naming the bad value.
Provenance provenance_from_json(const nlohmann::json& j, const std::string& where);

/// Metadata of a snapshot (kind "annotator_snapshot").
struct SnapshotInfo {
  int64_t iteration = 0;
  nlohmann::json annotator;  ///< the annotator's JSON (arch, input_shapes, num_classes, ...)
  /// S, the segmenter trained beside A; none for learners without one (the supervised fits).
  std::optional<models::SegmenterConfig> segmenter;
  Provenance provenance;
  nlohmann::json run;  ///< the learner's whole configuration, for the record
  std::vector<std::string> class_names;
  /// Pixel frequency of each class in the labelled set (the target of prior calibration at
  /// synthesis); empty in snapshots written before it was recorded.
  std::vector<double> labelled_class_frequencies;
  int64_t sampler_epoch = 0, sampler_position = 0;
  double best_fg_miou = -1;
  int64_t best_iteration = -1;
  /// What a person receiving the file needs (models::ModelDescription as JSON); null in snapshots
  /// written before it was recorded.
  nlohmann::json description;
};

/// Prefix of the weight average of A in a snapshot (runs with annotator_ema > 0); "A." holds the
/// weights being trained, which a resumed run continues from.
inline constexpr const char* kAnnotatorAveragePrefix = "A_ema.";

/// A snapshot read back.
struct Snapshot {
  SnapshotInfo info;
  core::TensorDict tensors;  ///< A.*, S.*, optA.*, optS.*, rng.*
};

void write_snapshot(const std::string& path, const SnapshotInfo& info,
                    const core::TensorDict& tensors);
Snapshot read_snapshot(const std::string& path);

/// "snapshots/000400.safetensors" for iteration 400.
std::string snapshot_path(const std::string& run_dir, int64_t iteration);
/// Latest snapshot of a run (by iteration); empty when there is none.
std::string latest_snapshot(const std::string& run_dir);

/// Rebuilds the annotator of a snapshot, in eval mode: the weight average when the snapshot has
/// one, else the trained weights.
models::Annotator load_snapshot_annotator(const Snapshot& snapshot);
/// Rebuilds the segmenter of a snapshot, in eval mode.
models::Segmenter load_snapshot_segmenter(const Snapshot& snapshot);

}  // namespace lagm::annotator

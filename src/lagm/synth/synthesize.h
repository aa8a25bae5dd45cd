// Phase II, part 1 (`lagm synthesize`): a labelled data set from the frozen generator and a
// trained annotator (eval mode): images and argmax masks in the folder layout, deterministic per
// seed (image i uses seed base + i, whatever the batch, shard or restart), resumable (finished
// files are kept; every file is written atomically) and shardable (--shard k/n writes a disjoint
// share; the shares merge into the same files as one run).
#pragma once

#include <torch/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/progress.h"
#include "lagm/models/annotator.h"
#include "lagm/models/feature_generator.h"
#include "lagm/train/precision.h"

namespace lagm::synth {

/// How keep_top ranks the images: by confidence (mean max-softmax, highest first) or by
/// uncertainty (DatasetGAN's filter, an MLP-ensemble annotator only: the mean of the top 10 % of
/// the image's per-pixel Jensen-Shannon divergences between the members, lowest first).
enum class RankBy { kConfidence, kUncertainty };
/// "confidence", "uncertainty": the CLI's and dataset.json's spelling.
const char* rank_by_name(RankBy rank_by);
/// SettingError("rank_by", ...) for any other name.
RankBy parse_rank_by(const std::string& name);

/// Options of `synthesize`.
struct SynthesizeOptions {
  std::string run_dir;            ///< a train-annotator run
  std::string snapshot = "best";  ///< "best", "latest" or an iteration number
  std::string generator;  ///< override of the run's generator checkpoint (empty = the run's)
  /// Override of the run's truncation psi (unset = the psi the annotator learnt with). Truncation
  /// trades the variety of the synthesized images for their typicality; the downstream network
  /// meets the full variety of real images.
  c10::optional<double> truncation_psi;
  int64_t num = 10000;
  std::string out;
  uint64_t seed_base = 0;
  int64_t shard_index = 0, shard_count = 1;
  double confidence_threshold = 0.9;  ///< pixels below this max-softmax count as uncertain
  double keep_top = 1.0;  ///< keep this fraction of the best-ranked images in dataset.json
  /// How keep_top ranks the images; unset: by uncertainty for an ensemble, else by confidence.
  std::optional<RankBy> rank_by;
  double min_confidence = 0.0;  ///< and only those with mean max-softmax >= this
  /// Keep the central 3/4 rows (4:3 pictures in a square G, e.g. cars). A phase-I run records
  /// whether its annotator learnt on such crops, and that record decides; this option only
  /// matters for annotators without one (pseudo-labelling fits).
  bool wide_crop = false;
  /// Class-prior calibration (method/prior_calibration.h): per-class logit offsets fitted on
  /// `calibration_images` generated images (their own seeds) so that the labels' class frequencies
  /// match the labelled set's. Off by default: the reference takes the plain arg-max.
  bool calibrate_priors = false;
  int64_t calibration_images = 64;
  /// kBf16 (fast mode): the generator's synthesis blocks in bfloat16, the annotator under
  /// bfloat16 autocast with channels-last weights; labels may differ from exact mode's where two
  /// classes are nearly tied.
  train::Precision precision = train::Precision::kExact;
  torch::Device device = torch::kCPU;
};

/// Counts of one invocation.
struct SynthesizeResult {
  int64_t written = 0, already_present = 0;
  bool complete = false;  ///< all `num` images exist and dataset.json was written
  std::string snapshot;
};

/// A run's snapshot file: "best" (best.json, else the latest), "latest" or an iteration number.
std::string resolve_snapshot(const std::string& run_dir, const std::string& which);

/// The generator of a phase-I snapshot (or `override_path`), with the run's sampling settings
/// (truncation, noise mode), checked against the snapshot's annotator.
std::unique_ptr<models::FeatureGenerator> load_snapshot_generator(
    const annotator::Snapshot& snapshot, const std::string& override_path,
    const models::Annotator& annotator, torch::Device device);

/// Whether synthesis from `snapshot` keeps the central 3/4 rows: what its phase-I run trained on
/// (transform.wide_crop), else `requested`. Requesting it for a run trained on square images is an
/// InputError (the labels would not fit the annotator's training).
bool snapshot_wide_crop(const annotator::Snapshot& snapshot, bool requested);

/// The labelled set's class frequencies of a snapshot (recorded at training; older snapshots: read
/// from the run's training set); empty when the run had none (a pseudo-labelling annotator).
std::vector<double> labelled_class_frequencies(const annotator::Snapshot& snapshot);

/// Prior-calibration offsets for an annotator: `num_images` generated images (seeds
/// kCalibrationSeed + j, disjoint from synthesis seeds in practice), 4096 pixels each.
constexpr uint64_t kCalibrationSeed = 0xCA11B0000ULL;
std::vector<double> fit_prior_offsets(models::FeatureGenerator& generator,
                                      models::Annotator& annotator,
                                      const std::vector<double>& target, int64_t num_images,
                                      bool wide_crop, torch::Device device);

SynthesizeResult synthesize(const SynthesizeOptions& options, const ProgressFn& progress = {});

}  // namespace lagm::synth

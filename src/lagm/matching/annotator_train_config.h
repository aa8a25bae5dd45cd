// Configuration of phase I (`lagm train-annotator`): every setting typed, read from the project's
// JSON by one from_json. The reference's config files map onto the same struct
// (reference_config.h).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/annotator/transform_pipe.h"
#include "lagm/data/dataset_spec.h"
#include "lagm/matching/gradient_matching.h"
#include "lagm/matching/unrolled_learner.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/precision.h"

namespace lagm::matching {

/// Who learns A: gradient matching (Algorithm 1) or the MAML-style comparison arm.
enum class Learner { kGradientMatching, kMaml };
/// "gradient_matching", "maml": the config's spelling.
const char* learner_name(Learner learner);

/// Everything `train-annotator` needs.
struct AnnotatorTrainConfig {
  std::string generator;  ///< generator checkpoint (.safetensors)
  models::SamplingOptions sampling;
  int64_t annotator_tmp_channels = 128, annotator_num_layers = 3;
  models::SegmenterConfig segmenter;  ///< S; num_classes 0: the labelled set's classes
  /// torchvision ImageNet ResNet weights (.safetensors) for a DeepLab segmenter's backbone; the
  /// reference builds S with pretrained_backbone=True. Empty = random initialisation.
  std::string segmenter_backbone;
  /// Where the reference adapter and configs/paper expect it (cwd-relative, like their data paths).
  static constexpr const char* kDefaultResnet101Path =
      "./checkpoints/resnet101-63fe2227.safetensors";
  /// A trained segmenter (train-seg checkpoint or phase-I snapshot) that S starts from instead of
  /// random weights, e.g. a network trained on the same N labels. Empty = the reference's start.
  std::string segmenter_init;
  /// An annotator snapshot (phase-I run or pseudo-labelling fit) that A starts from instead of
  /// random weights: gradient matching then refines its labels. Empty = the reference's start.
  std::string annotator_init;
  /// How phase A trains A: "gradient_matching" (the paper's method; the reference) or "maml" (the
  /// MAML-style learner of the paper's appendix, a comparison arm: S takes `unrolled.inner_steps`
  /// SGD steps of rate `unrolled.inner_lr` on A's labels and A follows the labelled loss after
  /// them). Both train the matched parameters `gm_params`; the matcher is unused by "maml".
  Learner learner = Learner::kGradientMatching;
  UnrolledOptions unrolled;  ///< JSON "inner_steps", "inner_lr"
  /// JSON "precision": "fp32" (exact, the reference's arithmetic) or "bf16" (fast mode:
  /// GradientMatchingStep::set_precision says what runs in bfloat16).
  train::Precision precision = train::Precision::kExact;
  /// JSON "low_memory": phase A without the double backward through S (its peak memory), by a
  /// forward-mode pass instead (GradientMatchingStep::set_low_memory); the same derivative to float
  /// rounding. false = the reference's double backward.
  bool low_memory = false;
  std::string gm_params = ".*";  ///< preset name or regex
  MatcherOptions matcher;
  annotator::TransformOptions
      transform;  ///< applied to generated images and annotator logits in the loop
  train::OptimizerConfig annotator_optimizer, segmenter_optimizer;
  int64_t batch = 2;
  /// Labelled images per target gradient; 0 = `batch` (the reference). The labelled set's size
  /// makes the target the gradient of all labels at every step (less noise for rare parts).
  int64_t label_batch = 0;
  /// Flips, scale/crop and colour jitter of every labelled batch (data::Augmentation::all, the
  /// downstream few-label recipe); false = the reference's plain labelled images. Why: with a
  /// handful of labels S soon fits them exactly, and the target gradient then describes those
  /// few images, not the parts; augmented, the target keeps asking for what carries over.
  bool label_augment = false;
  /// Weight of the labelled batch's cross entropy in phase S (the reference's `real_loss_weight`,
  /// an argument its loop never uses; 0 = the reference: S learns from A's labels only). Why: with
  /// 2 labels, S trained on A's early, wrong labels gives gradients that say little about the
  /// parts; an S that also sees the labelled images stays a network that segments them.
  double label_loss_weight = 0;
  /// Class-balanced matching losses (GradientMatchingStep::set_class_weights): w_c proportional to
  /// the labelled set's class frequency ^ -power; 0 = the reference's unweighted losses.
  double class_balance_power = 0;
  /// S restarts from fresh random weights (and a fresh optimizer state) every this many
  /// iterations, as dataset condensation matches gradients over many networks; 0 = never (the
  /// reference). Why: one S trajectory gives A one view of the labelled set's gradient; restarts
  /// ask A's labels to match it at many states of S.
  int64_t segmenter_reset_interval = 0;
  /// Decay of an exponential moving average of A's weights, updated after every phase A; the
  /// average is what snapshots hand to synthesis, grids and quality checks. 0 = off (the
  /// reference: A's last weights). Why: A chases a target that changes with every batch of 2
  /// labelled and 2 generated images; averaging over a few hundred steps removes that noise
  /// without slowing the step.
  double annotator_ema = 0;
  /// A trained segmenter (train-seg checkpoint) whose arg-max labels of the generated images pull
  /// A's labels towards its own in phase A: A minimises L_match + pseudo_label_weight *
  /// CE(A(features), arg max labeller(image)). Empty or weight 0 = the reference (matching alone).
  /// Why: with two or three labelled images the target gradient describes those images only
  /// (their colours, their pose), and matching leaves A free on generated faces unlike them; a
  /// network trained on the same labels with augmentation labels those faces plausibly, and
  /// matching then corrects its labels where the gradients disagree instead of inventing them.
  std::string pseudo_labeller;
  double pseudo_label_weight = 0;
  /// Data-parallel runs (lagm launch): A's and S's BatchNorm layers normalise with the whole
  /// batch's statistics, so that the step is one process's (exact). false = each process's own
  /// statistics (PyTorch DDP's default): no longer the one-process run, but without a small
  /// all-reduce per layer and pass, which cost a 2-process run on one 2-core machine half its time.
  bool sync_batch_norm = true;
  int64_t total_iters = 150000;
  int64_t annotator_interval = 1,
          segmenter_interval = 1;  ///< phase X runs when iteration % X_interval == 0
  uint64_t seed = 0;
  data::DatasetSpec training_set;
  data::DatasetSpec validation_set;  ///< path empty = no validation
  int64_t niter_per_tick = 20;
  int64_t snapshot_ticks =
      200;                ///< snapshot + grid + validation every this many ticks (and at the end)
  int64_t grid_size = 8;  ///< generated images in the annotator-label grids
  std::string run_name = "run";
};

/// {"wide_crop": bool, "resize": [H, W] | null} (also the reference's T_kwargs, class_name
/// ignored).
annotator::TransformOptions transform_options_from_json(const nlohmann::json& j,
                                                        const std::string& where);

/// The config keys that set the loop's counts: lagm's own by default; the reference's dialect
/// names them otherwise (image_per_batch, A_interval, ...).
struct CountKeys {
  const char* batch = "batch";
  const char* total_iters = "total_iters";
  const char* annotator_interval = "annotator_interval";
  const char* segmenter_interval = "segmenter_interval";
  const char* niter_per_tick = "niter_per_tick";
  const char* snapshot_ticks = "snapshot_ticks";
  const char* tmp_channels = "annotator.tmp_channels";
  const char* num_layers = "annotator.num_layers";
};

/// Each count's range, refused by its key (InputError "<where>.<key> must be in [lo, hi]"): the
/// upper bounds far above any real run and far below what a typo (an extra zero or three) would
/// allocate: a batch of 1e9 generated images, a 1e7-channel FPN.
void check_config_counts(const AnnotatorTrainConfig& c, const std::string& where,
                         const CountKeys& keys = {});

/// Parses the project's JSON; unknown keys and invalid values throw InputError prefixed by `where`.
AnnotatorTrainConfig annotator_train_config_from_json(const nlohmann::json& j,
                                                      const std::string& where);
/// The resolved config (every field), as written to the run directory.
nlohmann::json to_json(const AnnotatorTrainConfig& c);
/// The config a run folder records (its config.json); InputError naming the folder when it holds
/// no train-annotator run.
AnnotatorTrainConfig read_annotator_run_config(const std::string& run_dir);

/// Fast mode (precision bf16) runs the gradient-matching learner only; InputError naming `where`
/// otherwise (a config file, or the option that set it).
void check_precision(const AnnotatorTrainConfig& c, const std::string& where);

/// The low-memory phase A is gradient matching's; InputError naming `where` for the maml learner.
void check_low_memory(const AnnotatorTrainConfig& c, const std::string& where);

/// Data-parallel runs: every one of `world_size` processes needs a row of every batch (generated
/// and labelled), and the learner must be gradient matching (the MAML learner runs in one
/// process); UsageError otherwise.
void check_data_parallel(const AnnotatorTrainConfig& c, int world_size);

}  // namespace lagm::matching

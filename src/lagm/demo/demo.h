// `lagm demo`: the whole method end to end on the built-in `faces` domain and the shipped
// generator. Renders labelled/validation/test sets, learns an annotator by gradient
// matching, synthesizes a labelled data set, trains a downstream U-Net, trains the baselines
// (few labels, pseudo-labelling, oracle) on the same budget, evaluates all on the test set and
// writes report.html, report.md and results.json. Every stage leaves a marker when done, so an
// interrupted demo continues with the first unfinished stage.
#pragma once

#include <torch/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/core/progress.h"
#include "lagm/demo/levers.h"
#include "lagm/eval/confusion_matrix.h"
#include "lagm/models/feature_generator.h"
#include "lagm/toy/rendered_image.h"
#include "lagm/train/precision.h"

namespace lagm::demo {

/// Where the N labelled images come from.
enum class LabelledSource {
  kRendered,   ///< renders of the domain in `labelled_style`: the real images of the paper's tables
  kGenerated,  ///< the generator's images labelled by the oracle: the paper's Table 1 protocol
};
/// "rendered", "generated": the CLI's and results.json's spelling.
const char* labelled_source_name(LabelledSource source);
/// SettingError("labelled_source", ...) for any other name.
LabelledSource parse_labelled_source(const std::string& name);

/// The arms a demo may add to its four (`--arms`), in the report's order. The first five
/// synthesize a data set (route arms); mean_teacher and adversarial_ssl are the semi-supervised
/// comparisons.
inline constexpr const char* kComparisonArms[] = {"matching_alone", "supervised", "datasetgan",
                                                  "inversion",      "maml",       "mean_teacher",
                                                  "adversarial_ssl"};
/// Whether the arm trains on a synthesized data set (generator -> annotator -> synthesis).
bool is_route_arm(const std::string& arm);
/// `--arms`: "default" (none of them), "all", or names of kComparisonArms separated by commas;
/// returned in kComparisonArms' order. SettingError("arms", ...) naming an unknown arm.
std::vector<std::string> parse_arm_list(const std::string& text);

struct DemoOptions {
  std::string out = "demo-run";
  std::string generator;  ///< generator checkpoint (the shipped faces64 by default)
  int64_t labels = 10;    ///< N labelled images
  toy::Style labelled_style = toy::Style::kPhoto;  ///< flat: the out-of-domain setting
  /// Generated: the N labelled images, for every arm that uses labels, are generated images the
  /// oracle labels (the supervised arms' labels), so that gradient matching and the supervised
  /// annotators learn from the same labels (the paper's Table 1). Rendered: `labelled_style`
  /// renders, the demo's default.
  LabelledSource labelled_source = LabelledSource::kRendered;
  bool quick = false;  ///< the reduced version CI runs
  /// Training seed; the labelled images are seeds 1000 * seed + [0, N), so that another seed is
  /// also another labelled set (validation, test and oracle sets stay the same).
  uint64_t seed = 0;
  LeverOverrides levers;  ///< the levers given (demo/levers.h), applied over DemoSettings
  /// Adds the arm `oracle_pseudo_label`: pseudo-labelling with the oracle as the labeller, the best
  /// the generator -> annotator -> synthesis -> downstream route can give (one more training).
  bool route_ceiling = false;
  /// The paper's comparison arms to add, of kComparisonArms: `matching_alone` (gradient matching
  /// without the pull of A's labels towards the few-label U-Net's, every other setting as the
  /// gradient_matching arm's: the paper's phase A), `supervised` (N generated images
  /// labelled by the oracle, the FPN fitted to them: DatasetGAN's protocol), `datasetgan` (the same
  /// labels, DatasetGAN's MLP ensemble and uncertainty filter), `inversion` (the N labelled images
  /// projected into the generator, the FPN fitted to their projections) and `maml` (phase I with
  /// the MAML learner, k = 1, everything else as gradient matching); `mean_teacher` (a U-Net on
  /// the N labels, the few-label recipe, with unlabelled photo renders by mean teacher);
  /// `adversarial_ssl` (the same with Hung et al.'s adversarial semi-supervised segmenter).
  std::vector<std::string> comparison_arms;
  /// Fast mode (bf16) for phase I of gradient matching and for synthesis; exact by default.
  train::Precision precision = train::Precision::kExact;
  torch::Device device = torch::kCPU;
};

/// Sizes and budgets of one demo run (the defaults, or the quick ones).
struct DemoSettings {
  int64_t resolution = 64;
  int64_t validation = 200, test = 200, oracle = 2000, synthesized = 2000;
  /// Matching steps of phase I. Measured (docs/method_levers.md): with S at 3e-4 the annotator
  /// keeps improving with steps (FG-mIoU against the oracle, seed 0: 400 steps 50.8, 1200 56.1,
  /// 2400 61.4), and at 2400 the downstream result draws level with pseudo-labelling's (seeds 0-3);
  /// at S 1e-3 more steps did not help.
  int64_t gm_steps = 2400;
  int64_t pseudo_label_steps = 200;  ///< also the supervised and inversion arms' fits
  int64_t projector_steps = 300;     ///< per labelled image, the inversion arm
  double maml_inner_lr = 0.01;       ///< the maml arm's inner SGD rate (not tuned)
  /// Members of the datasetgan arm's ensemble (DatasetGAN's 10).
  int64_t ensemble_members = 10;
  /// Matched parameters: the U-Net's last up block and classifier. Measured
  /// (docs/method_levers.md): faster per step than matching all parameters and the only setting
  /// whose annotator drew hair and eyes.
  std::string gm_params = "up4.*|outc.*";
  double gm_lr = 1e-3;  ///< Adam learning rate of A
  /// Adam learning rate of S in phase I. Measured (docs/method_levers.md): S learning at 1e-3 moves
  /// the target of the matching faster than A follows; 3e-4 gives better and steadier annotators.
  double gm_segmenter_lr = 3e-4;
  /// A starts from the pseudo-labelling arm's annotator
  /// (matching::AnnotatorTrainConfig::annotator_init) and gradient matching refines it; false = the
  /// paper's random start.
  bool init_from_pseudo_label = false;
  /// Weight of phase A's pull of A's labels towards the few-label U-Net's labels of the same
  /// generated images (matching::AnnotatorTrainConfig::pseudo_label_weight); 0 = matching alone.
  /// Measured (docs/method_levers.md, seventh round): with 2 labels matching alone fails on the
  /// seeds whose two photos show one kind of face (annotator 33-35 FG-mIoU against the oracle),
  /// pulled with weight 1 it labels generated faces better than both matching alone and
  /// pseudo-labelling, at N = 2 and N = 10; 1 was set before measuring (the two losses' natural
  /// scales) and not tuned.
  double gm_pseudo_label_weight = 1.0;
  /// Decay of the weight average of A (matching::AnnotatorTrainConfig::annotator_ema); 0 = off.
  double annotator_ema = 0;
  /// Levers of gradient matching (docs/method_levers.md): prior
  /// calibration at synthesis, the magnitude term of the matcher, the target gradient from all N
  /// labels, class-balanced matching losses.
  bool calibrate_priors = true;
  double magnitude_weight = 0;
  bool all_labels = false;
  /// Flips, scale/crop and colour jitter of phase I's labelled batches
  /// (matching::AnnotatorTrainConfig::label_augment).
  bool label_augment = false;
  /// Phase S's weight of the labelled batch (matching::AnnotatorTrainConfig::label_loss_weight).
  double label_loss_weight = 0;
  double class_balance_power = 1.0;
  int64_t quality_images = 200;  ///< generated images of the annotator-quality figure
  int64_t annotator_channels =
      32;  ///< FPN width (the reference's 128 costs 16x more per pixel at 64x64)
  int64_t segmenter_channels = 16;  ///< U-Net base width of every downstream segmenter in the demo
  /// U-Net base width of S in phase I. A narrower S makes a matching step cheaper; the annotator
  /// only has to match the gradients of some segmenter, not of the downstream one.
  int64_t gm_segmenter_channels = 16;
  /// Truncation psi of the synthesized data sets of every route arm (gradient matching and
  /// pseudo-labelling); phase I and the annotator fits sample at the default psi either way.
  double synthesis_psi = models::SamplingOptions{}.truncation_psi;
  int64_t epochs = 5, batch = 16;  ///< downstream budget, the same for every arm
  /// Class-balanced cross entropy of every downstream U-Net
  /// (SegmenterTrainConfig::class_balance_power), the same for every arm. Measured
  /// (docs/method_levers.md): trained on generated images, the plain loss labels brows, nose and
  /// ears of test photos as skin even with the oracle's labels; weighted, they appear.
  double downstream_class_balance = 1.0;
  /// Adam learning rate at which each route arm's downstream U-Net is trained on further on the N
  /// labels (the few-label recipe, same epochs), reported as `<arm>_finetuned`; 0 = no such arms.
  /// Pre-training on synthesized data, then fine-tuning on the few real labels, is how a user would
  /// deploy the synthesized set; the plain rows stay, so the synthesized set is judged alone too.
  double finetune_lr = 0;
  /// Samples of each downstream batch (of `batch`) of the route arms (gradient matching,
  /// pseudo-labelling) drawn from the N labelled images, augmented as in the few-label recipe; the
  /// rest come from the arm's synthesized set, for the same number of steps. 0 = the synthesized
  /// set alone (the paper's protocol). Measured (docs/method_levers.md, fifth round): mixing raised
  /// every route arm on every seed at N = 2 and N = 10 (by 2.9-8.8 FG-mIoU points), at no cost in
  /// time; it does not make the route beat the N labels alone at N = 10. The few-label arm stays
  /// the N labels alone.
  int64_t mix_labels = 4;
  /// With mixing on, also train each route arm's U-Net on its synthesized set alone (rows
  /// `<arm>_synthetic_only`, one more training per route arm), so that the annotators are compared
  /// by their synthesized sets alone too.
  bool synthetic_only_rows = false;
  nlohmann::json to_json() const;
};
/// Whether the options add the comparison arm `arm`.
bool runs_arm(const DemoOptions& options, const std::string& arm);
/// "10 labelled photo images" or "10 generated images labelled by the oracle (Table 1 protocol)":
/// the reports' title.
std::string describe_labelled_set(const DemoOptions& options);

/// The settings of a run: the defaults (or --quick's budget) with the levers applied.
/// UsageError naming the option of a lever out of its range.
DemoSettings demo_settings(bool quick, const LeverOverrides& levers = {});
/// UsageError naming the option when a setting of `options` is out of range.
void check_demo_options(const DemoOptions& options);

struct ArmResult {
  std::string name;
  eval::SegmentationMetrics metrics;
  /// Annotator arms: its labels on generated images against the oracle's
  /// (synth/annotator_quality.h).
  nlohmann::json annotator_quality;
  double seconds = 0;      ///< wall time of this arm's training (annotator, synthesis, segmenter)
  std::string checkpoint;  ///< the evaluated segmenter
};

struct DemoResult {
  std::vector<ArmResult> arms;
  std::vector<std::string> class_names;
  double seconds = 0;
  std::string out;
};

DemoResult run_demo(const DemoOptions& options, const ProgressFn& progress);

/// One demo per seed into <out>/seed-<s>, then <out>/summary.{json,md}: mean and standard
/// deviation over the seeds of every arm's metrics, per class, and of the annotators' quality.
std::vector<DemoResult> run_demo_seeds(const DemoOptions& options,
                                       const std::vector<uint64_t>& seeds,
                                       const ProgressFn& progress);

/// The figures of summary.json: per arm {"mIoU": {"mean", "std"}, "fg_mIoU", "pACC", "per_class":
/// [...], "annotator_quality": {"fg_mIoU", "per_class"}} (std: sample standard deviation, 0 for one
/// seed).
nlohmann::json summarize_seeds(const DemoOptions& options, const std::vector<uint64_t>& seeds,
                               const std::vector<DemoResult>& results);

}  // namespace lagm::demo

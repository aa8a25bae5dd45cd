// The supervised annotator of DatasetGAN / RepurposeGAN (the paper's FPN or DatasetGAN's MLP
// ensemble): a person labels a few generated images,
// and the annotator is fitted to those labels by cross entropy on the generator's block features
// of the same images. The comparison arm of gradient matching that needs labelled *generated*
// images instead of real ones.
//
// The labelled images are a folder data set (img/, seg/, dataset.json) whose sample names carry
// the seeds `lagm generate` draws them from ("seed000123" or "000123": z =
// numpy.random.RandomState(123).randn(1, z_dim)). Every image is regenerated from its seed with the
// run's sampling settings and compared with the stored one, so labels never meet the features of
// another image. The run folder holds config.json, snapshots/NNNNNN.safetensors (a phase-I
// snapshot: `synthesize --run` and `annotator-quality` take it as they take a gradient-matching
// run) and log.txt.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/core/progress.h"
#include "lagm/models/feature_generator.h"

namespace lagm::baselines {

/// The annotator a supervised fit trains: the paper's FPN, or DatasetGAN's MLP ensemble.
enum class SupervisedArch { kFpn, kMlpEnsemble };
/// "fpn", "mlp_ensemble": the config's and the CLI's spelling.
const char* arch_name(SupervisedArch arch);
/// SettingError("arch", ...) for any other name.
SupervisedArch parse_supervised_arch(const std::string& name);

struct SupervisedAnnotatorConfig {
  std::string generator;  ///< generator checkpoint
  /// Must make the labelled images again: noise "const" (as `lagm generate` writes by default) or
  /// "none"; "random" noise is refused.
  models::SamplingOptions sampling;
  std::string labels;  ///< folder data set of labelled generated images
  /// The inversion arm: a `lagm project` folder holding the projection of every labelled image
  /// (then real images, not generated ones): their features come from the projected latents and
  /// noise maps instead of seeds, and the images are not required to be the generator's.
  std::string projections;
  /// The FPN (tmp_channels, num_layers) or DatasetGAN's interpreter (`members` pixel-wise MLPs,
  /// each trained on every labelled pixel by its own cross entropy;
  /// models/annotator_mlp_ensemble.h).
  SupervisedArch arch = SupervisedArch::kFpn;
  int64_t tmp_channels = 128, num_layers = 3;  ///< annotator FPN
  int64_t members = 10;                        ///< MLP ensemble
  int64_t steps = 1000, batch = 4;
  double lr = 1e-3;  ///< Adam
  int64_t snapshot_steps = 200;
  uint64_t seed = 0;
};

nlohmann::json to_json(const SupervisedAnnotatorConfig& c);
/// Strict: unknown keys and wrong types are InputErrors naming `where`.
SupervisedAnnotatorConfig supervised_annotator_config_from_json(const nlohmann::json& j,
                                                                const std::string& where);

/// "seed000123" and "000123" -> 123; InputError naming `name` otherwise.
uint32_t seed_of_sample(const std::string& name);

/// Fits the annotator in `run_dir` (created; refused when it already holds a run) and returns the
/// last snapshot's path.
std::string train_supervised_annotator(const SupervisedAnnotatorConfig& config,
                                       const std::string& run_dir, torch::Device device,
                                       const ProgressFn& progress = {});

/// Continues the run in `run_dir` from its latest snapshot with its own config.json; `steps` > 0
/// lengthens it.
std::string resume_supervised_annotator(const std::string& run_dir, torch::Device device,
                                        const ProgressFn& progress = {}, int64_t steps = 0);

}  // namespace lagm::baselines

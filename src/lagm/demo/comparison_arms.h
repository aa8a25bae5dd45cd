// The annotators of the paper's comparison arms on the built-in domain (`lagm demo --arms all`):
// each returns a run folder that synthesis takes as it takes a gradient-matching run.
//   supervised  DatasetGAN / RepurposeGAN protocol: N generated images labelled, the FPN fitted
//               to them by cross entropy. The oracle U-Net stands in for the person who labels.
//   datasetgan  the same labels, DatasetGAN's MLP ensemble (synthesis then drops the most
//               uncertain 10 %).
//   inversion   the N labelled photos projected into the generator, the FPN fitted to their
//               projections' features.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "lagm/baselines/supervised_annotator.h"
#include "lagm/core/progress.h"
#include "lagm/models/segmenter.h"

namespace lagm::demo {

struct ArmContext {
  std::string generator;
  std::string out;  ///< the arm's folder
  int64_t labels = 10;
  uint64_t seed = 0;
  int64_t steps = 200;  ///< optimizer steps of the annotator's fit
  int64_t annotator_channels = 32;
  int64_t members = 10;  ///< the MLP ensemble's
  torch::Device device = torch::kCPU;
  ProgressFn progress;
};

/// Writes `ctx.labels` generated images (seeds 10,000,000 + 1000 * seed + i, psi 0.7, cutoff 8,
/// constant noise: what `lagm generate --images` writes) labelled by `labeller` into `dir`.
void write_labelled_generated_images(const ArmContext& ctx, models::Segmenter& labeller,
                                     const std::vector<std::string>& class_names,
                                     const std::string& dir);

/// Fits the supervised annotator (the FPN or DatasetGAN's ensemble) to labelled generated images;
/// returns the run folder.
std::string fit_supervised_arm(const ArmContext& ctx, const std::string& labelled_dir,
                               baselines::SupervisedArch arch);

/// Projects the labelled photos (`projector_steps` each) and fits the FPN to their projections;
/// returns the run folder.
std::string fit_inversion_arm(const ArmContext& ctx, const std::string& labelled_photos,
                              int64_t projector_steps);

}  // namespace lagm::demo

// `lagm train-gan`: trains the project's StyleGAN2 generator against the resnet discriminator
// with stylegan2-ada's loss (non-saturating logistic, lazy R1, EMA generator, style mixing).
// The run folder holds generator.safetensors (the EMA generator, a regular "stylegan2"
// checkpoint every lagm command accepts), train_state.safetensors (everything needed to resume
// bit for bit), samples-KKKKKK.png grids and stats.jsonl.
#pragma once

#include <torch/types.h>

#include <functional>
#include <string>

#include "lagm/core/progress.h"
#include "lagm/gan/gan_train_config.h"

namespace lagm::gan {

struct GanTrainResult {
  std::string run_dir;
  int64_t images_shown = 0;      ///< cur_nimg at the end
  double seconds = 0;            ///< wall time of training, summed over resumed sessions
  double images_per_second = 0;  ///< in this session
  double last_loss_g = 0, last_loss_d = 0;
};

/// Starts a new run in `run_dir` (created; must not hold a train_state yet).
GanTrainResult train_gan(const GanTrainConfig& config, const std::string& run_dir,
                         torch::Device device, const ProgressFn& progress = {});

/// Continues the run in `run_dir` from its train_state.safetensors, up to `total_kimg` when > 0
/// (else the run's own total).
GanTrainResult resume_gan_training(const std::string& run_dir, torch::Device device,
                                   double total_kimg = 0, const ProgressFn& progress = {});

}  // namespace lagm::gan

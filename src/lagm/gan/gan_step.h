// One iteration of `lagm train-gan`: stylegan2-ada's loss without path-length regularisation
// (non-saturating logistic for G and D, lazy R1 on the reals, EMA generator, style mixing). The
// networks and their optimizers live here; the run folder, snapshots and logs in gan_trainer.cpp.
// bench/bench_case times these calls against the reference's formulas.
#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "lagm/gan/discriminator.h"
#include "lagm/gan/gan_train_config.h"
#include "lagm/models/stylegan2/generator.h"
#include "lagm/train/optimizer.h"

namespace lagm::gan {

struct GanStepLosses {
  double g = 0, d = 0;
  double r1 = -1;  ///< the R1 penalty's mean when this iteration ran it, else -1
};

class GanStep {
 public:
  /// Fresh networks (the current torch seed) and Adam optimizers with lazy-regularisation ratios.
  GanStep(const GanTrainConfig& config, torch::Device device);

  /// One iteration on a batch of reals (in [-1, 1], on the step's device): G, D, R1 when
  /// `iteration` is a multiple of r1_interval, then the EMA update for `nimg_after` images shown.
  GanStepLosses step(const torch::Tensor& real, int64_t iteration, int64_t nimg_after);

  /// The phases of step(), for callers that time them apart.
  double generator_phase();                               ///< returns G's loss
  double discriminator_phase(const torch::Tensor& real);  ///< returns D's loss
  double r1_phase(const torch::Tensor& real);             ///< returns the mean R1 penalty
  void update_ema(int64_t nimg_after);

  models::stylegan2::Generator G{nullptr}, G_ema{nullptr};
  Discriminator D{nullptr};
  train::OptimizerConfig g_opt_config, d_opt_config;
  std::unique_ptr<torch::optim::Optimizer> g_opt, d_opt;
  std::vector<std::string> g_names, d_names;

 private:
  /// G(z) with style mixing (one random crossover point for the whole batch, as the reference).
  torch::Tensor generate(const torch::Tensor& z);

  GanTrainConfig config_;
  torch::Device device_;
  int64_t iteration_ = 0;  ///< for the error messages of non-finite losses
};

}  // namespace lagm::gan

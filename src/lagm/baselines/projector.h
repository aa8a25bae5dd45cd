// Inversion of an image into the generator (the comparison arm "inversion" of the paper's
// appendix): the latent in W+ and the noise maps that make the generator reproduce it, found by
// the projector schedule of stylegan2-ada-pytorch. Its block features then stand for the labelled
// image's, and the supervised trainer fits the annotator to them.
//
// The schedule, per step t = step / steps: learning rate 0.1 x a cosine ramp-down over the last
// 25 % x a linear ramp-up over the first 5 %; Gaussian noise of std w_std x 0.05 x max(0, 1 -
// t / 0.75)^2 added to the latent; Adam (0.9, 0.999) over the latent (started at w_avg of 10000
// mapped latents of numpy.random.RandomState(123)) and the noise maps (started at N(0, 1)); loss =
// distance + 1e5 x the noise maps' autocorrelation penalty at every octave down to 8x8; after
// every step each noise map is renormalised to mean 0, variance 1. The reference measures the
// distance with a VGG16 perceptual network; lagm has none, so the distance is the mean squared
// pixel difference of the images in [-1, 1] (recorded as "distance": "mse").
// W+ (one w per layer) as the comparison asks; `w_plus` false is the reference's single w.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

#include "lagm/models/feature_generator.h"

namespace lagm::baselines {

struct ProjectorOptions {
  int64_t steps = 1000;
  int64_t w_avg_samples = 10000;
  double initial_learning_rate = 0.1;
  double initial_noise_factor = 0.05;
  double lr_rampdown_length = 0.25;
  double lr_rampup_length = 0.05;
  double noise_ramp_length = 0.75;
  double regularize_noise_weight = 1e5;
  bool w_plus = true;
  uint64_t seed = 0;  ///< the noise maps' start and the latent noise
};

/// w_avg [1, 1, w_dim] and w_std (the root mean squared distance to it) of `samples` latents.
struct WStatistics {
  torch::Tensor w_avg;
  double w_std = 0;
};
WStatistics w_statistics(models::FeatureGenerator& g, int64_t samples);

/// The schedule at t = step / steps in [0, 1).
double projector_learning_rate(double t, const ProjectorOptions& o);
double projector_w_noise_scale(double t, double w_std, const ProjectorOptions& o);
/// The noise maps' penalty: sum over maps and octaves (down to 8x8) of the squared mean
/// autocorrelation with the map shifted by one pixel, along x and along y.
torch::Tensor noise_regularization(const std::vector<torch::Tensor>& noise_maps);

struct Projection {
  torch::Tensor ws;                  ///< [1, num_ws, w_dim]
  std::vector<torch::Tensor> noise;  ///< one map per noise layer (FeatureGenerator::noise_buffers)
  torch::Tensor image;               ///< the reconstruction [1, 3, R, R], not clamped
  double distance = 0;               ///< final mean squared pixel difference
};

/// Projects `target` [1, 3, R, R] in [-1, 1]. The generator's own noise maps are put back on
/// return. `progress(step, distance)` after each step.
Projection project(models::FeatureGenerator& g, const torch::Tensor& target,
                   const WStatistics& stats, const ProjectorOptions& o,
                   const std::function<void(int64_t, double)>& progress = {});

/// PSNR in dB of two [.., 3, R, R] images in [-1, 1], both quantised to 8 bits as synthesis writes
/// them (peak 255).
double psnr_8bit(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace lagm::baselines

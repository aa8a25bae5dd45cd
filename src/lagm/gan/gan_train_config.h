// Settings of `lagm train-gan`: the networks, the data, and stylegan2-ada's training
// hyper-parameters (its 'auto' configuration at small resolutions: Adam(0, 0.99), lr 0.0025,
// lazy R1 every 16 D steps with gamma = 0.0002 R^2 / batch, EMA half-life batch * 10/32 kimg
// with ramp-up 0.05, style mixing 0.9). No path-length regularisation and no ADA augmentation:
// rendered data is unlimited, and both cost time this CPU does not have.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/gan/discriminator.h"
#include "lagm/models/stylegan2/generator_options.h"

namespace lagm::gan {

struct GanTrainConfig {
  models::stylegan2::GeneratorOptions generator;
  DiscriminatorOptions discriminator;
  /// Real images: a procedural domain rendered on the fly (image i of the run is seed
  /// data_seed + i, never repeated), or, when data_dir is set, a folder data set sampled uniformly.
  std::string domain = "faces", style = "photo", data_dir;
  uint64_t data_seed = 100000000;
  int64_t batch = 16;
  double g_lr = 0.0025, d_lr = 0.0025, beta1 = 0.0, beta2 = 0.99;
  double r1_gamma = -1;  ///< < 0: 0.0002 R^2 / batch (the reference's 'auto' heuristic)
  int64_t r1_interval = 16;
  double ema_kimg = -1;  ///< < 0: batch * 10 / 32
  double ema_rampup = 0.05;
  double style_mixing = 0.9;
  double total_kimg = 150, snapshot_kimg = 10;
  uint64_t seed = 0;
  /// Speed options (see bench/bench_train_gan): channels-last tensors; bfloat16 autocast of the
  /// forward passes on the CPU.
  bool channels_last = false, bf16 = false;

  double resolved_r1_gamma() const;
  double resolved_ema_kimg() const;
};

/// The small 64x64 StyleGAN2 of the built-in domain: z = w = 128, 2 mapping layers,
/// channel_base 2048, channel_max 64 (G and D).
GanTrainConfig default_gan_config(int64_t resolution = 64);

GanTrainConfig gan_train_config_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const GanTrainConfig& c);

}  // namespace lagm::gan

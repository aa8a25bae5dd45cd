#include "lagm/gan/gan_train_config.h"

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/train/precision.h"

namespace lagm::gan {

double GanTrainConfig::resolved_r1_gamma() const {
  const double r = static_cast<double>(generator.img_resolution);
  return r1_gamma >= 0 ? r1_gamma : 0.0002 * r * r / static_cast<double>(batch);
}

double GanTrainConfig::resolved_ema_kimg() const {
  return ema_kimg >= 0 ? ema_kimg : static_cast<double>(batch) * 10.0 / 32.0;
}

GanTrainConfig default_gan_config(int64_t resolution) {
  GanTrainConfig c;
  auto& g = c.generator;
  g.z_dim = g.w_dim = 128;
  g.img_resolution = resolution;
  g.mapping.num_layers = 2;
  g.synthesis.channel_base = 2048;
  g.synthesis.channel_max = 64;
  c.discriminator.img_resolution = resolution;
  c.discriminator.channel_base = 2048;
  c.discriminator.channel_max = 64;
  return c;
}

GanTrainConfig gan_train_config_from_json(const nlohmann::json& j, const std::string& where) {
  using core::get_or;
  core::check_keys(
      j,
      {"generator",   "discriminator", "domain",     "style",        "data_dir",   "data_seed",
       "batch",       "g_lr",          "d_lr",       "beta1",        "beta2",      "r1_gamma",
       "r1_interval", "ema_kimg",      "ema_rampup", "style_mixing", "total_kimg", "snapshot_kimg",
       "seed",        "channels_last", "precision",  "bf16"},
      where);
  GanTrainConfig c = default_gan_config();
  if (j.contains("generator"))
    c.generator =
        models::stylegan2::generator_options_from_json(j.at("generator"), where + ": generator");
  if (j.contains("discriminator"))
    c.discriminator =
        discriminator_options_from_json(j.at("discriminator"), where + ": discriminator");
  c.domain = get_or(j, "domain", c.domain, where);
  c.style = get_or(j, "style", c.style, where);
  c.data_dir = get_or(j, "data_dir", c.data_dir, where);
  c.data_seed = get_or(j, "data_seed", c.data_seed, where);
  c.batch = get_or(j, "batch", c.batch, where);
  c.g_lr = get_or(j, "g_lr", c.g_lr, where);
  c.d_lr = get_or(j, "d_lr", c.d_lr, where);
  c.beta1 = get_or(j, "beta1", c.beta1, where);
  c.beta2 = get_or(j, "beta2", c.beta2, where);
  c.r1_gamma = get_or(j, "r1_gamma", c.r1_gamma, where);
  c.r1_interval = get_or(j, "r1_interval", c.r1_interval, where);
  c.ema_kimg = get_or(j, "ema_kimg", c.ema_kimg, where);
  c.ema_rampup = get_or(j, "ema_rampup", c.ema_rampup, where);
  c.style_mixing = get_or(j, "style_mixing", c.style_mixing, where);
  c.total_kimg = get_or(j, "total_kimg", c.total_kimg, where);
  c.snapshot_kimg = get_or(j, "snapshot_kimg", c.snapshot_kimg, where);
  c.seed = get_or(j, "seed", c.seed, where);
  c.channels_last = get_or(j, "channels_last", c.channels_last, where);
  // "precision" as in train-annotator's config; "bf16": true is its older spelling.
  c.bf16 = get_or(j, "bf16", c.bf16, where);
  if (j.contains("precision"))
    c.bf16 = train::parse_precision(get_or<std::string>(j, "precision", "fp32", where), where) ==
             train::Precision::kBf16;
  // Each setting's range, as the CLI's: far above any real run, far below a typo's allocation.
  const std::string at = where + ".";
  core::require_in_range(c.batch, 1, 1024, at + "batch");
  core::require_in_range(c.r1_interval, 1, 1000000, at + "r1_interval");
  core::require_in_range(static_cast<int64_t>(c.seed), 0, 4294967295, at + "seed");
  core::require_in_range(static_cast<int64_t>(c.data_seed), 0, 4294967295, at + "data_seed");
  core::require_real_in_range(c.g_lr, 1e-12, 10, at + "g_lr");
  core::require_real_in_range(c.d_lr, 1e-12, 10, at + "d_lr");
  core::require_real_in_range(c.beta1, 0, 0.999999, at + "beta1");
  core::require_real_in_range(c.beta2, 0, 0.999999, at + "beta2");
  core::require_real_in_range(c.r1_gamma, -1, 1e6, at + "r1_gamma (< 0: automatic)");
  core::require_real_in_range(c.ema_kimg, -1, 1e6, at + "ema_kimg (< 0: automatic)");
  core::require_real_in_range(c.ema_rampup, 0, 1e3, at + "ema_rampup");
  core::require_real_in_range(c.style_mixing, 0, 1, at + "style_mixing");
  core::require_real_in_range(c.total_kimg, 1e-6, 1e9, at + "total_kimg");
  core::require_real_in_range(c.snapshot_kimg, 1e-6, 1e9, at + "snapshot_kimg");
  if (c.generator.img_resolution != c.discriminator.img_resolution)
    throw InputError(where + ": generator and discriminator resolutions differ");
  return c;
}

nlohmann::json to_json(const GanTrainConfig& c) {
  return {{"generator", models::stylegan2::to_json(c.generator)},
          {"discriminator", to_json(c.discriminator)},
          {"domain", c.domain},
          {"style", c.style},
          {"data_dir", c.data_dir},
          {"data_seed", c.data_seed},
          {"batch", c.batch},
          {"g_lr", c.g_lr},
          {"d_lr", c.d_lr},
          {"beta1", c.beta1},
          {"beta2", c.beta2},
          {"r1_gamma", c.r1_gamma},
          {"r1_interval", c.r1_interval},
          {"ema_kimg", c.ema_kimg},
          {"ema_rampup", c.ema_rampup},
          {"style_mixing", c.style_mixing},
          {"total_kimg", c.total_kimg},
          {"snapshot_kimg", c.snapshot_kimg},
          {"seed", c.seed},
          {"channels_last", c.channels_last},
          {"precision", c.bf16 ? "bf16" : "fp32"}};
}

}  // namespace lagm::gan

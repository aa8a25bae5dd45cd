#include "lagm/models/stylegan2/generator_options.h"

#include <cmath>
#include <set>

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"

namespace lagm::models::stylegan2 {
using core::check_keys;
using core::get_or;

Architecture parse_architecture(const std::string& text) {
  if (text == "orig") return Architecture::kOrig;
  if (text == "skip") return Architecture::kSkip;
  if (text == "resnet") return Architecture::kResnet;
  throw InputError("unknown architecture '" + text + "' (expected orig, skip or resnet)");
}

std::string to_string(Architecture a) {
  switch (a) {
    case Architecture::kOrig:
      return "orig";
    case Architecture::kSkip:
      return "skip";
    case Architecture::kResnet:
      return "resnet";
  }
  return "?";
}

int64_t GeneratorOptions::channels_at(int64_t res) const {
  return std::min(synthesis.channel_base / res, synthesis.channel_max);
}

int64_t GeneratorOptions::num_ws() const {
  const int64_t log2r =
      static_cast<int64_t>(std::llround(std::log2(static_cast<double>(img_resolution))));
  return 2 * log2r - 2;
}

bool GeneratorOptions::block_uses_fp16(int64_t res) const {
  const int64_t log2r =
      static_cast<int64_t>(std::llround(std::log2(static_cast<double>(img_resolution))));
  const int64_t fp16_res =
      std::max<int64_t>(int64_t{1} << std::max<int64_t>(log2r + 1 - synthesis.num_fp16_res, 0), 8);
  return synthesis.num_fp16_res > 0 && res >= fp16_res;
}

namespace {

template <typename T>
void read(const nlohmann::json& j, const char* key, T& out, const std::string& where) {
  if (!j.contains(key)) return;
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(where + "." + key + ": wrong type (" + j.at(key).dump() + ")");
  }
}

template <typename T>
void read_optional(const nlohmann::json& j, const char* key, c10::optional<T>& out,
                   const std::string& where) {
  if (!j.contains(key)) return;
  if (j.at(key).is_null()) {
    out = c10::nullopt;
    return;
  }
  T v;
  read(j, key, v, where);
  out = v;
}

template <typename T>
nlohmann::json optional_json(const c10::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

GeneratorOptions generator_options_from_json(const nlohmann::json& j, const std::string& where) {
  check_keys(j,
             {"z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs",
              "synthesis_kwargs"},
             where);
  GeneratorOptions o;
  read(j, "z_dim", o.z_dim, where);
  read(j, "c_dim", o.c_dim, where);
  read(j, "w_dim", o.w_dim, where);
  read(j, "img_resolution", o.img_resolution, where);
  read(j, "img_channels", o.img_channels, where);
  if (j.contains("mapping_kwargs")) {
    const auto& m = j.at("mapping_kwargs");
    const std::string w = where + ".mapping_kwargs";
    // num_ws is filled in by the Generator in the reference; accepted and ignored here.
    check_keys(m,
               {"num_layers", "embed_features", "layer_features", "activation", "lr_multiplier",
                "w_avg_beta", "num_ws"},
               w);
    read(m, "num_layers", o.mapping.num_layers, w);
    read_optional(m, "embed_features", o.mapping.embed_features, w);
    read_optional(m, "layer_features", o.mapping.layer_features, w);
    if (m.contains("activation"))
      o.mapping.activation = nn::parse_activation(m.at("activation").get<std::string>());
    read(m, "lr_multiplier", o.mapping.lr_multiplier, w);
    read_optional(m, "w_avg_beta", o.mapping.w_avg_beta, w);
  }
  if (j.contains("synthesis_kwargs")) {
    const auto& s = j.at("synthesis_kwargs");
    const std::string w = where + ".synthesis_kwargs";
    check_keys(s,
               {"channel_base", "channel_max", "num_fp16_res", "conv_clamp", "architecture",
                "resample_filter", "use_noise", "activation", "kernel_size", "fp16_channels_last"},
               w);
    read(s, "channel_base", o.synthesis.channel_base, w);
    read(s, "channel_max", o.synthesis.channel_max, w);
    read(s, "num_fp16_res", o.synthesis.num_fp16_res, w);
    read_optional(s, "conv_clamp", o.synthesis.conv_clamp, w);
    if (s.contains("architecture"))
      o.synthesis.architecture = parse_architecture(s.at("architecture").get<std::string>());
    read(s, "use_noise", o.synthesis.use_noise, w);
    if (s.contains("activation"))
      o.synthesis.activation = nn::parse_activation(s.at("activation").get<std::string>());
    if (s.contains("resample_filter") && s.at("resample_filter") != nlohmann::json({1, 3, 3, 1}))
      throw InputError(w + ".resample_filter: only [1, 3, 3, 1] is supported");
    if (s.contains("kernel_size") && s.at("kernel_size") != 3)
      throw InputError(w + ".kernel_size: only 3 is supported");
  }
  // Ranges far above every published StyleGAN (z, w 512; 8 mapping layers; 1024 px; channel_base
  // 32768, channel_max 512) and far below what a corrupted number would allocate.
  core::require_in_range(o.z_dim, 1, 8192, where + ".z_dim");
  core::require_in_range(o.w_dim, 1, 8192, where + ".w_dim");
  core::require_in_range(o.img_channels, 1, 4, where + ".img_channels");
  core::require_in_range(o.mapping.num_layers, 1, 64, where + ".mapping_kwargs.num_layers");
  for (const auto* features : {&o.mapping.embed_features, &o.mapping.layer_features})
    if (*features) core::require_in_range(**features, 1, 8192, where + ".mapping_kwargs features");
  core::require_in_range(o.img_resolution, 4, 4096, where + ".img_resolution");
  core::require_in_range(o.synthesis.channel_base, 1, int64_t{1} << 20,
                         where + ".synthesis_kwargs.channel_base");
  core::require_in_range(o.synthesis.channel_max, 1, 8192, where + ".synthesis_kwargs.channel_max");
  core::require_in_range(o.synthesis.num_fp16_res, 0, 16, where + ".synthesis_kwargs.num_fp16_res");
  if (o.c_dim != 0)
    throw InputError(where + ".c_dim: conditional generators are not supported (got " +
                     std::to_string(o.c_dim) + ")");
  if (o.img_resolution < 4 || (o.img_resolution & (o.img_resolution - 1)) != 0)
    throw InputError(where + ".img_resolution must be a power of two >= 4 (got " +
                     std::to_string(o.img_resolution) + ")");
  if (o.channels_at(o.img_resolution) < 1)
    throw InputError(where +
                     ": channel_base / img_resolution leaves no channels at the last block");
  return o;
}

nlohmann::json to_json(const GeneratorOptions& o) {
  return {{"z_dim", o.z_dim},
          {"c_dim", o.c_dim},
          {"w_dim", o.w_dim},
          {"img_resolution", o.img_resolution},
          {"img_channels", o.img_channels},
          {"mapping_kwargs",
           {{"num_layers", o.mapping.num_layers},
            {"embed_features", optional_json(o.mapping.embed_features)},
            {"layer_features", optional_json(o.mapping.layer_features)},
            {"activation", nn::to_string(o.mapping.activation)},
            {"lr_multiplier", o.mapping.lr_multiplier},
            {"w_avg_beta", optional_json(o.mapping.w_avg_beta)}}},
          {"synthesis_kwargs",
           {{"channel_base", o.synthesis.channel_base},
            {"channel_max", o.synthesis.channel_max},
            {"num_fp16_res", o.synthesis.num_fp16_res},
            {"conv_clamp", optional_json(o.synthesis.conv_clamp)},
            {"architecture", to_string(o.synthesis.architecture)},
            {"use_noise", o.synthesis.use_noise},
            {"activation", nn::to_string(o.synthesis.activation)}}}};
}

}  // namespace lagm::models::stylegan2

// Configuration of the StyleGAN2 generator: the reference constructor arguments,
// nested as the reference nests them, with JSON conversion in the reference's key names so
// that a pickle's init_kwargs and a checkpoint's metadata read the same way.
#pragma once

#include <c10/util/Optional.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/nn/bias_act.h"

namespace lagm::models::stylegan2 {

/// Synthesis-block architecture.
enum class Architecture { kOrig, kSkip, kResnet };
Architecture parse_architecture(const std::string& text);
std::string to_string(Architecture a);

/// `mapping_kwargs`.
struct MappingOptions {
  int64_t num_layers = 8;
  c10::optional<int64_t> embed_features;  ///< nullopt = w_dim
  c10::optional<int64_t> layer_features;  ///< nullopt = w_dim
  nn::Activation activation = nn::Activation::kLrelu;
  double lr_multiplier = 0.01;
  c10::optional<double> w_avg_beta = 0.995;  ///< nullopt: no w_avg tracking
};

/// `synthesis_kwargs`.
struct SynthesisOptions {
  int64_t channel_base = 32768;
  int64_t channel_max = 512;
  int64_t num_fp16_res = 0;
  c10::optional<double> conv_clamp;
  Architecture architecture = Architecture::kSkip;
  bool use_noise = true;
  nn::Activation activation = nn::Activation::kLrelu;
};

/// Generator(z_dim, c_dim, w_dim, img_resolution, img_channels, mapping_kwargs, synthesis_kwargs).
struct GeneratorOptions {
  int64_t z_dim = 512, c_dim = 0, w_dim = 512, img_resolution = 256, img_channels = 3;
  MappingOptions mapping;
  SynthesisOptions synthesis;

  /// Channels of block b{res}: min(channel_base / res, channel_max).
  int64_t channels_at(int64_t res) const;
  /// 2 log2(R) - 2.
  int64_t num_ws() const;
  /// Whether block b{res} computes in fp16 on CUDA.
  bool block_uses_fp16(int64_t res) const;
};

/// Parses the reference's init_kwargs form; unknown keys and invalid values throw InputError
/// prefixed with `where`.
GeneratorOptions generator_options_from_json(const nlohmann::json& j, const std::string& where);
/// Writes every field, defaults included.
nlohmann::json to_json(const GeneratorOptions& o);

}  // namespace lagm::models::stylegan2

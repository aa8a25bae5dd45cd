#include "lagm/models/feature_generator.h"

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/core/memory_budget.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/pickled_generator.h"
#include "lagm/models/stylegan1/feature_generator.h"
#include "lagm/models/stylegan2/feature_generator.h"

namespace lagm::models {
using core::check_keys;
using core::get_or;

namespace {

SamplingOptions sampling_from_extra(const ModelCheckpoint& ckpt) {
  SamplingOptions s;
  const auto& e = ckpt.extra;
  if (e.contains("truncation_psi")) s.truncation_psi = e["truncation_psi"].get<double>();
  if (e.contains("truncation_cutoff"))
    s.truncation_cutoff = e["truncation_cutoff"].is_null()
                              ? c10::nullopt
                              : c10::optional<int64_t>(e["truncation_cutoff"].get<int64_t>());
  return s;
}

}  // namespace

SamplingOptions sampling_options_from_json(const nlohmann::json& j, const std::string& where) {
  SamplingOptions s;
  s.truncation_psi = get_or<double>(j, "truncation_psi", s.truncation_psi, where);
  if (j.contains("truncation_cutoff"))
    s.truncation_cutoff =
        j["truncation_cutoff"].is_null()
            ? c10::nullopt
            : c10::optional<int64_t>(get_or<int64_t>(j, "truncation_cutoff", 0, where));
  if (s.truncation_cutoff && *s.truncation_cutoff < 0)
    throw InputError(where + ".truncation_cutoff: expected an integer >= 0 or null");
  const auto noise_mode = get_or<std::string>(j, "noise_mode", to_string(s.noise_mode), where);
  try {
    s.noise_mode = parse_noise_mode(noise_mode);
  } catch (const InputError& e) {
    throw InputError(where + ".noise_mode: " + e.what());
  }
  return s;
}

nlohmann::json to_json(const SamplingOptions& s) {
  return {{"truncation_psi", s.truncation_psi},
          {"truncation_cutoff",
           s.truncation_cutoff ? nlohmann::json(*s.truncation_cutoff) : nlohmann::json()},
          {"noise_mode", to_string(s.noise_mode)}};
}

namespace {
[[noreturn]] void no_projection(const std::string& kind) {
  throw InputError("a " + kind + " generator cannot be projected; inversion takes a StyleGAN2");
}
}  // namespace

torch::Tensor FeatureGenerator::map_to_w(const torch::Tensor& /*z*/) { no_projection(kind()); }
GeneratedBatch FeatureGenerator::synthesize(const torch::Tensor& /*ws*/) { no_projection(kind()); }
std::vector<torch::Tensor> FeatureGenerator::noise_buffers() { no_projection(kind()); }

std::unique_ptr<FeatureGenerator> load_feature_generator(const std::string& path,
                                                         torch::Device device) {
  const auto ckpt =
      is_pickled_generator(path) ? read_pickled_generator(path) : read_model_checkpoint(path);
  std::unique_ptr<FeatureGenerator> g;
  if (ckpt.kind == "stylegan2") {
    g = std::make_unique<stylegan2::StyleGAN2FeatureGenerator>(stylegan2::load_generator(ckpt),
                                                               sampling_from_extra(ckpt));
  } else if (ckpt.kind == "stylegan1") {
    g = std::make_unique<stylegan1::StyleGAN1FeatureGenerator>(stylegan1::load_stylegan1(ckpt));
    const auto extra = sampling_from_extra(ckpt);
    if (ckpt.extra.contains("truncation_psi")) g->sampling().truncation_psi = extra.truncation_psi;
    if (ckpt.extra.contains("truncation_cutoff"))
      g->sampling().truncation_cutoff = extra.truncation_cutoff;
  } else {
    throw InputError(path + ": kind '" + ckpt.kind +
                     "' is not a generator (expected stylegan2 or stylegan1)");
  }
  g->to(device);
  return g;
}

void require_generation_memory(const FeatureGenerator& g, int64_t batch, const std::string& what) {
  // Every block's features are returned, so they exist at once beside the image.
  const double r = static_cast<double>(g.img_resolution());
  double floats = 3 * r * r;
  for (const auto& shape : g.feature_shapes())
    floats += static_cast<double>(shape[0] * shape[1] * shape[2]);
  core::require_memory(static_cast<double>(batch) * floats * sizeof(float), what,
                       std::to_string(batch) + " generated images of " +
                           std::to_string(g.img_resolution()) + " px with their block features");
}

}  // namespace lagm::models

#include "lagm/models/stylegan1/dataset_gan_checkpoint.h"

#include "lagm/core/error.h"
#include "lagm/models/pickled_values.h"

namespace lagm::models::stylegan1 {
namespace {

namespace pk = io::pickle;

bool starts_with(const std::string& s, const char* head) { return s.rfind(head, 0) == 0; }

/// R of a key "g_synthesis.blocks.RxR.<...>", or 0.
int64_t block_resolution(const std::string& key) {
  constexpr char kHead[] = "g_synthesis.blocks.";
  if (!starts_with(key, kHead)) return 0;
  int64_t r = 0;
  for (size_t i = sizeof(kHead) - 1; i < key.size() && r < 100000; ++i) {
    if (key[i] == 'x') return r;
    if (key[i] < '0' || key[i] > '9') return 0;
    r = 10 * r + (key[i] - '0');
  }
  return 0;
}

/// (fmap_base, fmap_max) from the widths: the 4x4 block has fmap_max channels, and the first
/// narrower block at resolution r has 2 fmap_base / r. When none is narrower any fmap_base that
/// keeps every block at fmap_max builds the same network; DatasetGAN's 8192 is taken then.
std::pair<int64_t, int64_t> channel_settings(const core::TensorDict& t, int64_t resolution,
                                             const std::string& path) {
  const auto channels = [&](int64_t r) -> int64_t {
    const auto name = "g_synthesis.blocks." + std::to_string(r) + "x" + std::to_string(r) +
                      (r == 4 ? ".conv.weight" : ".conv1.weight");
    if (!t.contains(name) || t.at(name).dim() != 4)
      throw InputError(path + ": no 4-D " + name + " (a StyleGAN1 block is missing)");
    return t.at(name).size(0);
  };
  const int64_t fmap_max = channels(4);
  for (int64_t r = 8; r <= resolution; r *= 2)
    if (channels(r) < fmap_max) return {channels(r) * r / 2, fmap_max};
  return {std::max<int64_t>(8192, fmap_max * resolution / 2), fmap_max};
}

}  // namespace

bool is_dataset_gan_state_dict(const pk::Value& root) {
  if (!root.is(pk::Kind::kDict) || root.entries.empty()) return false;
  for (const auto& [k, v] : root.entries)
    if (!k->is(pk::Kind::kString) ||
        !(starts_with(k->text, "g_mapping.") || starts_with(k->text, "g_synthesis.")))
      return false;
  return true;
}

std::pair<nlohmann::json, core::TensorDict> import_dataset_gan(const pk::Value& root,
                                                               torch::Tensor avg_latent,
                                                               const std::string& path) {
  core::TensorDict tensors;
  int64_t resolution = 0;
  for (const auto& [k, v] : root.entries) {
    tensors.set(k->text, pickled_float_tensor(v, path + ": " + k->text));
    resolution = std::max(resolution, block_resolution(k->text));
  }
  if (resolution < 4 || resolution > 4096 || (resolution & (resolution - 1)) != 0)
    throw InputError(path + ": no g_synthesis.blocks.RxR tensors with R a power of two");
  const auto [fmap_base, fmap_max] = channel_settings(tensors, resolution, path);
  const auto shape = avg_latent.sizes().vec();
  if (!(shape == std::vector<int64_t>{512} || shape == std::vector<int64_t>{1, 18, 512} ||
        shape == std::vector<int64_t>{18, 512}))
    throw InputError(path + ": its average latent has shape " + format_shape(shape) +
                     ", expected [512] or [1, 18, 512]");
  if (avg_latent.dim() == 2) avg_latent = avg_latent.unsqueeze(0);
  tensors.set("truncation.avg_latent", avg_latent.to(torch::kFloat32).contiguous());
  nlohmann::json config = {
      {"resolution", resolution},  {"fmap_base", fmap_base},
      {"fmap_max", fmap_max},      {"truncation_psi", 0.7},
      {"truncation_max_layer", 8}, {"avg_latent_layers", avg_latent.dim() == 3 ? 18 : 0},
      {"noise_const_seed", 0}};
  return {std::move(config), std::move(tensors)};
}

}  // namespace lagm::models::stylegan1

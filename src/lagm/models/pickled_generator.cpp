#include "lagm/models/pickled_generator.h"

#include <filesystem>

#include "lagm/core/error.h"
#include "lagm/io/npy.h"
#include "lagm/io/pickle/read.h"
#include "lagm/models/pickled_values.h"
#include "lagm/models/stylegan1/dataset_gan_checkpoint.h"
#include "lagm/models/stylegan2/ada_pickle.h"
#include "lagm/models/stylegan2/tf_pickle.h"

namespace lagm::models {
namespace {

namespace pk = io::pickle;

bool has_suffix(const std::string& path, const std::string& suffix) {
  return path.size() >= suffix.size() &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The sampling settings the Python converter stores by default.
nlohmann::json default_sampling() { return {{"truncation_psi", 0.7}, {"truncation_cutoff", 8}}; }

ModelCheckpoint finish(const std::string& path, std::string kind, nlohmann::json config,
                       core::TensorDict tensors) {
  ModelCheckpoint ckpt;
  ckpt.path = path;
  ckpt.kind = std::move(kind);
  ckpt.config = std::move(config);
  ckpt.extra = default_sampling();
  ckpt.tensors = std::move(tensors);
  ckpt.tensors.source = path;
  ckpt.tensors.require_finite();
  return ckpt;
}

std::string avg_latent_path(const std::string& path) {
  return (std::filesystem::path(path).parent_path() / "avg_latent_stylegan1.npy").string();
}

/// The checkpoint of `network` in the pickle `root` read from `path`.
ModelCheckpoint checkpoint_of(const pk::ValuePtr& root, const std::string& path,
                              const std::string& network) {
  if (stylegan2::is_tf_network_pickle(*root)) {
    auto [config, tensors] = stylegan2::import_tf_pickle(*root, network, path);
    return finish(path, "stylegan2", std::move(config), std::move(tensors));
  }
  if (root->is(pk::Kind::kDict) && root->find(network)) {
    auto [config, tensors] = stylegan2::import_ada_pickle(*root->find(network), network, path);
    return finish(path, "stylegan2", std::move(config), std::move(tensors));
  }
  if (stylegan1::is_dataset_gan_state_dict(*root)) {
    const auto avg = avg_latent_path(path);
    if (!std::filesystem::exists(avg))
      throw InputError(path + ": a StyleGAN1 state dict needs its average latent, " + avg +
                       " (DatasetGAN's avg_latent_stylegan1.npy), beside it");
    auto [config, tensors] = stylegan1::import_dataset_gan(*root, io::read_npy(avg), path);
    return finish(path, "stylegan1", std::move(config), std::move(tensors));
  }
  throw InputError(path + ": holds a " + root->describe() + ", not a network pickle with '" +
                   network +
                   "', a TensorFlow (G, D, Gs) pickle or DatasetGAN's StyleGAN1 state dict");
}

}  // namespace

bool is_pickled_generator(const std::string& path) {
  return has_suffix(path, ".pkl") || has_suffix(path, ".pt") || has_suffix(path, ".pth");
}

ModelCheckpoint read_pickled_generator(const std::string& path, const std::string& network) {
  if (network != "G_ema" && network != "G")
    throw UsageError("--network must be G_ema or G, not '" + network + "'");
  return checkpoint_of(pk::read_pickle_file(path), path, network);
}

std::vector<std::string> describe_pickle(const std::string& path) {
  const auto root = pk::read_pickle_file(path);
  std::vector<std::string> lines;
  const auto describe_network = [&](const std::string& name, const pk::Value& v) {
    lines.push_back(name + ": " + v.describe() + ", " + std::to_string(count_tensors(v)) +
                    " tensors");
  };
  if (stylegan2::is_tf_network_pickle(*root)) {
    lines.push_back("TensorFlow StyleGAN2 pickle (G, D, Gs)");
    const char* names[] = {"G", "D", "Gs"};
    for (size_t i = 0; i < 3; ++i) describe_network(names[i], *root->items[i]);
  } else if (root->is(pk::Kind::kDict)) {
    lines.push_back("dict of " + std::to_string(root->entries.size()) + " entries");
    for (const auto& [k, v] : root->entries)
      describe_network(k->is(pk::Kind::kString) ? k->text : k->describe(), *v);
  } else {
    lines.push_back(root->describe());
  }
  try {
    const auto ckpt = checkpoint_of(root, path, "G_ema");  // the file is read once
    lines.push_back("generator (" + ckpt.kind + "): " + ckpt.config.dump());
  } catch (const InputError& e) {
    lines.push_back(std::string("not a generator lagm reads: ") + e.what());
  }
  return lines;
}

}  // namespace lagm::models

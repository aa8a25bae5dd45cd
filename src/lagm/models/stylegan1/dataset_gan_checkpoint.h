// DatasetGAN's StyleGAN1 checkpoints (`*.for_g_all.pt`): a legacy torch.save of the state dict of
// Sequential(g_mapping, g_synthesis), plus the average latent DatasetGAN keeps in a .npy.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "lagm/core/tensor_dict.h"
#include "lagm/io/pickle/value.h"

namespace lagm::models::stylegan1 {

/// Whether `root` is a dict whose keys all begin with g_mapping. or g_synthesis.
bool is_dataset_gan_state_dict(const io::pickle::Value& root);

/// (configuration, tensors with truncation.avg_latent) of the state dict `root` of `path`; the
/// resolution and widths follow from its tensors. Sampling: psi 0.7, cutoff 8 (DatasetGAN's faces
/// and cars).
std::pair<nlohmann::json, core::TensorDict> import_dataset_gan(const io::pickle::Value& root,
                                                               torch::Tensor avg_latent,
                                                               const std::string& path);

}  // namespace lagm::models::stylegan1

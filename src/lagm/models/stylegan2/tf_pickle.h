// A generator of a TensorFlow StyleGAN2 network pickle ((G, D, Gs), each a
// dnnlib.tflib.network.Network state of static kwargs and numpy variables in TF layouts), mapped
// to stylegan2-ada-pytorch's kwargs and state-dict names as the reference's legacy loader maps
// them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "lagm/core/tensor_dict.h"
#include "lagm/io/pickle/value.h"

namespace lagm::models::stylegan2 {

/// Whether `root` is a (G, D, Gs) tuple of TensorFlow networks.
bool is_tf_network_pickle(const io::pickle::Value& root);

/// (init kwargs, state dict) of Gs (`name` "G_ema") or G ("G") of the pickle at `path`.
std::pair<nlohmann::json, core::TensorDict> import_tf_pickle(const io::pickle::Value& root,
                                                             const std::string& name,
                                                             const std::string& path);

}  // namespace lagm::models::stylegan2

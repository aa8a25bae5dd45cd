// A generator of a stylegan2-ada-pytorch network pickle: a tree of persistent module objects
// (each its class name and __dict__), whose parameters and persistent buffers flatten to the
// reference's state-dict names and whose `_init_args`/`_init_kwargs` are the constructor's.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "lagm/core/tensor_dict.h"
#include "lagm/io/pickle/value.h"

namespace lagm::models::stylegan2 {

/// (init kwargs, state dict) of the persistent Generator `network`, entry `name` of `path`.
std::pair<nlohmann::json, core::TensorDict> import_ada_pickle(const io::pickle::Value& network,
                                                              const std::string& name,
                                                              const std::string& path);

}  // namespace lagm::models::stylegan2

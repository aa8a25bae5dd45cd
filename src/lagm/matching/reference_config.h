// The reference's annotate_seg.py config files (keys training_set_kwargs, G_kwargs, A_kwargs,
// S_kwargs, A_opt_kwargs, S_opt_kwargs, gmparam_regex, ...) read
// as they are into the project's AnnotatorTrainConfig, with the reference's defaults (B = 2,
// 150k iterations, psi 0.7, cosine/mean, SGD 1e-3 momentum 0.9).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lagm/matching/annotator_train_config.h"

namespace lagm::matching {

/// True when `j` looks like a reference config (has G_kwargs or training_set_kwargs).
bool is_reference_config(const nlohmann::json& j);

/// Maps a reference config. `config_path` locates relative paths; `generator_pkl` resolves to the
/// converted `.safetensors` beside it. Data set classes the project cannot read yet are an
/// InputError that names them.
AnnotatorTrainConfig annotator_config_from_reference(const nlohmann::json& j,
                                                     const std::string& config_path);

}  // namespace lagm::matching

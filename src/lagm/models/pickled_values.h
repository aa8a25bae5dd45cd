// Plain pickled values (io/pickle) turned into what the generator importers need: JSON for init
// kwargs, float32 tensors for weights, counts for `lagm info`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lagm/io/pickle/value.h"

namespace lagm::models {

/// None, bools, numbers, strings, lists, tuples and string-keyed dicts as JSON; `where` names the
/// value in the InputError for anything else (tensors, objects).
nlohmann::json pickled_json(const io::pickle::Value& value, const std::string& where);

/// A pickled tensor or array as a contiguous float32 tensor; InputError naming `where` otherwise.
torch::Tensor pickled_float_tensor(const io::pickle::ValuePtr& value, const std::string& where);

/// How many distinct tensors `value` reaches.
int64_t count_tensors(const io::pickle::Value& value);

}  // namespace lagm::models

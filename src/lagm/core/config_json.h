// Small helpers for the one-from_json-per-config rule: unknown keys and wrong types
// become InputErrors that name where they are.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>

#include "lagm/core/error.h"

namespace lagm::core {

/// Throws InputError("<where>: unknown key 'k'") for keys outside `allowed`, or if j is no object.
void check_keys(const nlohmann::json& j, const std::set<std::string>& allowed,
                const std::string& where);

/// InputError("<name> must be in [low, high] (got v)") for a size or count outside its range: a
/// configuration or a checkpoint's metadata is input, and a size a thousand times too large would
/// allocate before any tensor is compared.
void require_in_range(int64_t value, int64_t low, int64_t high, const std::string& name);
/// The same for a real number (NaN is outside every range).
void require_real_in_range(double value, double low, double high, const std::string& name);

/// j[key] as T, or `fallback` when absent; InputError on a wrong type.
template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback, const std::string& where) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  const auto& v = j.at(key);
  // nlohmann converts 2.5 to 2 and 1e400 to inf silently: integers must be written as integers,
  // non-negative ones not as negatives, and real numbers must be finite.
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (!v.is_number_integer())
      throw InputError(where + "." + key + ": expected an integer, got " + v.dump());
    if constexpr (std::is_unsigned_v<T>)
      if (!v.is_number_unsigned() && v.get<int64_t>() < 0)
        throw InputError(where + "." + key + ": expected an integer >= 0, got " + v.dump());
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number())
      throw InputError(where + "." + key + ": expected a number, got " + v.dump());
    if (!std::isfinite(v.get<double>()))
      throw InputError(where + "." + key + ": expected a finite number, got " + v.dump());
  }
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(where + "." + key + ": wrong type (" + j.at(key).dump() + ")");
  }
}

}  // namespace lagm::core

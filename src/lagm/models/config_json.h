// Small helpers for the one-from_json-per-config rule (STYLE §4): unknown keys and wrong types
// become InputErrors that name where they are.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "lagm/core/error.h"

namespace lagm::models {

/// Throws InputError("<where>: unknown key 'k'") for keys outside `allowed`, or if j is no object.
void check_keys(const nlohmann::json& j, const std::set<std::string>& allowed, const std::string& where);

/// j[key] as T, or `fallback` when absent; InputError on a wrong type.
template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback, const std::string& where) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(where + "." + key + ": wrong type (" + j.at(key).dump() + ")");
  }
}

}  // namespace lagm::models

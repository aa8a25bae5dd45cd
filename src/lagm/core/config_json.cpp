#include "lagm/core/config_json.h"

namespace lagm::core {

void check_keys(const nlohmann::json& j, const std::set<std::string>& allowed,
                const std::string& where) {
  if (!j.is_object()) throw InputError(where + ": expected a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!allowed.count(it.key())) throw InputError(where + ": unknown key '" + it.key() + "'");
}

void require_in_range(int64_t value, int64_t low, int64_t high, const std::string& name) {
  if (value < low || value > high)
    throw InputError(name + " must be in [" + std::to_string(low) + ", " + std::to_string(high) +
                     "] (got " + std::to_string(value) + ")");
}

}  // namespace lagm::core

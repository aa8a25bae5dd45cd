#include "lagm/core/config_json.h"

#include <sstream>

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

void require_real_in_range(double value, double low, double high, const std::string& name) {
  if (!(value >= low && value <= high)) {
    std::ostringstream text;
    text << name << " must be in [" << low << ", " << high << "] (got " << value << ")";
    throw InputError(text.str());
  }
}

}  // namespace lagm::core

#include "lagm/core/config_json.h"

namespace lagm::core {

void check_keys(const nlohmann::json& j, const std::set<std::string>& allowed,
                const std::string& where) {
  if (!j.is_object()) throw InputError(where + ": expected a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!allowed.count(it.key())) throw InputError(where + ": unknown key '" + it.key() + "'");
}

}  // namespace lagm::core

#include "lagm/core/parse_int.h"

#include <stdexcept>

namespace lagm::core {

std::optional<int64_t> parse_int64(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size()) return std::nullopt;
  return v;
}

}  // namespace lagm::core

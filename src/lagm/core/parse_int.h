// Whole-string integer parsing shared by file-name keys and command-line values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace lagm::core {

/// The integer `text` spells (std::stoll syntax), or nullopt when any of it is not part of one.
std::optional<int64_t> parse_int64(const std::string& text);

}  // namespace lagm::core

#include "lagm/core/error.h"

#include <sstream>

namespace lagm {

std::string format_shape(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

std::string format_mismatch(const std::string& what, const std::string& quantity,
                            const std::string& got, const std::string& expected) {
  return what + " has " + quantity + " " + got + ", expected " + expected;
}

}  // namespace lagm

#include "lagm/core/error.h"

#include <cmath>
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

void require_finite_loss(double value, const std::string& what, const std::string& where) {
  if (std::isfinite(value)) return;
  throw Error(what + " is " + (std::isnan(value) ? "NaN" : "infinite") + " at " + where +
              ": training diverged; the last snapshot written before it is kept (lower the "
              "learning rate?)");
}

}  // namespace lagm

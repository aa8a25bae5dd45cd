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

namespace {

// "needs {mix_data}" -> "needs " + name("mix_data").
std::string name_settings(const std::string& text,
                          const std::function<std::string(const std::string&)>& name) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      out += text[i];
      continue;
    }
    out += name(text.substr(i + 1, close - i - 1));
    i = close;
  }
  return out;
}

std::string same_name(const std::string& key) { return key; }

}  // namespace

SettingError::SettingError(std::string key, std::string problem)
    : UsageError(key + " " + name_settings(problem, same_name)),
      key_(std::move(key)),
      problem_(std::move(problem)) {}

std::string SettingError::message(
    const std::function<std::string(const std::string&)>& name) const {
  return name(key_) + " " + name_settings(problem_, name);
}

void require_finite_loss(double value, const std::string& what, const std::string& where) {
  if (std::isfinite(value)) return;
  throw Error(what + " is " + (std::isnan(value) ? "NaN" : "infinite") + " at " + where +
              ": training diverged; the last snapshot written before it is kept (lower the "
              "learning rate?)");
}

}  // namespace lagm

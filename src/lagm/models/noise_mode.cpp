#include "lagm/models/noise_mode.h"

#include "lagm/core/error.h"

namespace lagm::models {

NoiseMode parse_noise_mode(const std::string& text) {
  if (text == "random") return NoiseMode::kRandom;
  if (text == "const") return NoiseMode::kConst;
  if (text == "none") return NoiseMode::kNone;
  throw InputError("unknown noise mode '" + text + "' (expected random, const or none)");
}

std::string to_string(NoiseMode mode) {
  switch (mode) {
    case NoiseMode::kRandom:
      return "random";
    case NoiseMode::kConst:
      return "const";
    case NoiseMode::kNone:
      return "none";
  }
  return "?";
}

}  // namespace lagm::models

// How synthesis layers add per-pixel noise.
#pragma once

#include <string>

namespace lagm::models {

/// kRandom: fresh randn per call (the reference's default); kConst: the stored noise buffers;
/// kNone: no noise.
enum class NoiseMode { kRandom, kConst, kNone };

/// "random", "const", "none"; throws InputError otherwise.
NoiseMode parse_noise_mode(const std::string& text);
std::string to_string(NoiseMode mode);

}  // namespace lagm::models

// A small, fully specified random generator for the procedural domains: SplitMix64 bits and our
// own uniform/normal transforms, so a seed names the same picture on every compiler and platform
// (std::uniform_real_distribution and friends are implementation-defined).
#pragma once

#include <cmath>
#include <cstdint>

namespace lagm::toy {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t next_u64() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n).
  int64_t index(int64_t n) { return static_cast<int64_t>(uniform() * static_cast<double>(n)); }
  bool chance(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller, one value per call).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

/// Mixes a seed with a stream id into an independent seed.
inline uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  Random r(seed * 0x2545F4914F6CDD1DULL + stream);
  return r.next_u64();
}

}  // namespace lagm::toy

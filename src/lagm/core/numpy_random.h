// NumPy's legacy `RandomState(seed).randn(...)`: MT19937 seeded with init_genrand and the polar
// Box-Muller "gauss" sampler. stylegan2-ada's generate.py draws z this way, so with it
// `lagm generate --seeds 85` shows the same image as the reference tools for the same weights.
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <vector>

namespace lagm::core {

/// Bit-compatible with numpy.random.RandomState(seed) for randn and random_sample.
class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed);
  uint32_t next_uint32();
  double random_sample();  ///< [0, 1) with 53 bits
  double gauss();          ///< standard normal (legacy polar method, caches the second value)
  /// Uniform integer in [0, max] (numpy's random_interval: masked rejection sampling).
  uint64_t random_interval(uint64_t max);
  /// In-place shuffle, as RandomState.shuffle on a 1-D array or a list.
  void shuffle(std::vector<int64_t>& values);
  /// float64 tensor of `shape` filled in C order, as randn(*shape).
  torch::Tensor randn(at::IntArrayRef shape);

 private:
  std::array<uint32_t, 624> mt_;
  int pos_;
  bool has_gauss_ = false;
  double gauss_ = 0;
};

}  // namespace lagm::core

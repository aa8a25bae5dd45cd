#include "lagm/annotator/labelled_sampler.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace lagm::annotator {

LabelledSampler::LabelledSampler(size_t dataset_size, uint64_t seed)
    : size_(dataset_size), seed_(seed) {
  reshuffle();
}

void LabelledSampler::reshuffle() {
  order_.resize(size_);
  std::iota(order_.begin(), order_.end(), 0);
  std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch_));
  // Fisher-Yates with an explicit draw, so the order does not depend on the standard library.
  for (size_t i = size_; i > 1; --i) std::swap(order_[i - 1], order_[rng() % i]);
}

std::vector<size_t> LabelledSampler::next(int64_t batch) {
  std::vector<size_t> out;
  for (int64_t b = 0; b < batch; ++b) {
    if (position_ >= static_cast<int64_t>(size_)) {
      ++epoch_;
      position_ = 0;
      reshuffle();
    }
    out.push_back(order_[position_++]);
  }
  return out;
}

void LabelledSampler::restore(int64_t epoch, int64_t position) {
  epoch_ = epoch;
  position_ = position;
  reshuffle();
}

}  // namespace lagm::annotator

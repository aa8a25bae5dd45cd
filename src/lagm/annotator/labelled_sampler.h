// Endless shuffled batches over a small labelled set: a fresh permutation per epoch from the run's
// seed, with a state of two integers so that a resumed run draws the same batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lagm::annotator {

/// Divergence: the reference's InfiniteSampler uses NumPy's RandomState with a sliding window;
/// exact reproduction of the Python RNG streams is out of reach anyway, so this is a
/// plain per-epoch reshuffle that is easy to checkpoint.
class LabelledSampler {
 public:
  LabelledSampler(size_t dataset_size, uint64_t seed);
  /// The next `batch` indices (epochs roll over inside a batch).
  std::vector<size_t> next(int64_t batch);
  int64_t epoch() const { return epoch_; }
  int64_t position() const { return position_; }
  void restore(int64_t epoch, int64_t position);

 private:
  void reshuffle();
  size_t size_;
  uint64_t seed_;
  int64_t epoch_ = 0, position_ = 0;
  std::vector<size_t> order_;
};

}  // namespace lagm::annotator

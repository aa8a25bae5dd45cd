// The mean of the values of one quantity (a loss) over a stretch of training (a tick, a kimg).
#pragma once

#include <cmath>
#include <cstdint>

namespace lagm::train {

/// NaN before the first value, so that a phase that did not run in a stretch shows as missing
/// (null in stats.jsonl) rather than as a loss of zero.
struct RunningMean {
  double sum = 0;
  int64_t count = 0;
  void add(double value) { sum += value, ++count; }
  double value() const { return count ? sum / static_cast<double>(count) : std::nan(""); }
};

}  // namespace lagm::train

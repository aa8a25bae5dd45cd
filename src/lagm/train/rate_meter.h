// The rate and ETA of a long loop (images of a GAN run, matching iterations, epochs), shared by
// every trainer's progress line so that all of them count the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace lagm::train {

/// Counts the units finished in this session against the total. A resumed run starts the meter at
/// the units it already holds, so its rate and ETA measure only the work this process does.
class RateMeter {
 public:
  RateMeter(int64_t done, int64_t total);

  /// Records that `done` units of the total are finished now.
  void update(int64_t done);
  /// Seconds since the meter started.
  double elapsed_seconds() const;
  /// Units per second over this session (0 before the first unit).
  double units_per_second() const;
  /// Seconds per unit over this session (0 before the first unit).
  double seconds_per_unit() const;
  /// Seconds the units left take at this session's rate (0 when done or before the first unit).
  double eta_seconds() const;
  /// eta_seconds as "1h 02m 03s" (io::format_duration).
  std::string eta_text() const;

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_ = Clock::now(), last_ = start_;
  int64_t start_done_, done_, total_;
};

}  // namespace lagm::train

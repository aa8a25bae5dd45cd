#include "lagm/train/rate_meter.h"

#include <algorithm>

#include "lagm/io/run_directory.h"

namespace lagm::train {

RateMeter::RateMeter(int64_t done, int64_t total) : start_done_(done), done_(done), total_(total) {}

void RateMeter::update(int64_t done) {
  done_ = done;
  last_ = Clock::now();
}

double RateMeter::elapsed_seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

double RateMeter::units_per_second() const {
  const double seconds = std::chrono::duration<double>(last_ - start_).count();
  const int64_t units = done_ - start_done_;
  return units > 0 && seconds > 0 ? static_cast<double>(units) / seconds : 0.0;
}

double RateMeter::seconds_per_unit() const {
  const double rate = units_per_second();
  return rate > 0 ? 1.0 / rate : 0.0;
}

double RateMeter::eta_seconds() const {
  const double rate = units_per_second();
  return rate > 0 ? static_cast<double>(std::max<int64_t>(0, total_ - done_)) / rate : 0.0;
}

std::string RateMeter::eta_text() const { return io::format_duration(eta_seconds()); }

}  // namespace lagm::train

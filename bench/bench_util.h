// Shared benchmark helpers: wall-clock timing and the machine's measured fp32 GEMM peak.
#pragma once

#include <functional>

namespace lagm::bench {

/// Median seconds of `reps` calls after `warmup` calls.
double time_median(const std::function<void()>& fn, int reps, int warmup = 1);

/// Achieved GFLOP/s of a large float32 matmul with the current thread count (a practical peak).
double measure_gemm_gflops();

}  // namespace lagm::bench

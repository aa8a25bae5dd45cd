// Shared benchmark helpers: wall-clock timing and the machine's measured fp32 GEMM peak.
#pragma once

#include <functional>
#include <string>

#include "lagm/models/stylegan2/generator_options.h"

namespace lagm::bench {

/// Median seconds of `reps` calls after `warmup` calls.
double time_median(const std::function<void()>& fn, int reps, int warmup = 1);

/// Achieved GFLOP/s of a large float32 matmul with the current thread count (a practical peak).
double measure_gemm_gflops();

/// Value of "--name N" on the command line, or `fallback`.
long long int_flag(int argc, char** argv, const std::string& name, long long fallback);
/// The value after `name` on the command line, or `fallback`.
std::string string_flag(int argc, char** argv, const std::string& name,
                        const std::string& fallback);

/// A paper256-style generator config at `res`: channel_base 16384, 512 max, 8 mapping layers,
/// conv_clamp 256, num_fp16_res 4 (fp32 on the CPU, as force_fp32).
models::stylegan2::GeneratorOptions paper256_options(int64_t res);

}  // namespace lagm::bench

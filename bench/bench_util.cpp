#include "bench_util.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "lagm/core/runtime.h"

namespace lagm::bench {

double time_median(const std::function<void()>& fn, int reps, int warmup) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double measure_gemm_gflops() {
  const int64_t n = 2048;
  auto a = torch::randn({n, n}), b = torch::randn({n, n});
  // The machine's peak uses every thread ATen has; lagm keeps OpenBLAS's own pool at one thread
  // (core/runtime.h), which would halve a lone product's rate.
  const bool openblas = core::set_blas_threads(at::get_num_threads());
  const double s = time_median([&] { torch::mm(a, b); }, 5, 2);
  if (openblas && !std::getenv("OPENBLAS_NUM_THREADS")) core::set_blas_threads(1);
  return 2.0 * n * n * n / s / 1e9;
}

std::string string_flag(int argc, char** argv, const std::string& name,
                        const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (name == argv[i]) return argv[i + 1];
  return fallback;
}

long long int_flag(int argc, char** argv, const std::string& name, long long fallback) {
  const std::string value = string_flag(argc, argv, name, "");
  return value.empty() ? fallback : std::atoll(value.c_str());
}

models::stylegan2::GeneratorOptions paper256_options(int64_t res) {
  models::stylegan2::GeneratorOptions o;
  o.img_resolution = res;
  o.synthesis.channel_base = 16384;
  o.synthesis.num_fp16_res = 4;
  o.synthesis.conv_clamp = 256;
  return o;
}

}  // namespace lagm::bench

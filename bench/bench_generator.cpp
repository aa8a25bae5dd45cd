// Generator throughput at a paper256-sized configuration (channel_base 16384, 512 max, 8 mapping
// layers, conv_clamp 256; fp32 as on any CPU), random weights, batch 1 and 4, fused and non-fused
// modulated convolution. Reports images/s and the fraction of the measured fp32 GEMM peak.
//   build/bench/bench_generator [--res 256] [--reps 3]
#include <torch/torch.h>

#include <cstdio>
#include <cstring>

#include "bench_util.h"
#include "lagm/core/runtime.h"
#include "lagm/models/stylegan2/generator.h"

namespace sg2 = lagm::models::stylegan2;

namespace {

// Multiply-adds x 2 of the synthesis convolutions per image (the mapping is negligible).
double synthesis_flops(const sg2::GeneratorOptions& o) {
  double flops = 0;
  for (int64_t res = 4; res <= o.img_resolution; res *= 2) {
    const double c = o.channels_at(res), cin = res > 4 ? o.channels_at(res / 2) : 0;
    const double px = static_cast<double>(res) * res;
    // conv0 is a transposed conv at the input resolution: a 3x3 kernel per low-res pixel.
    if (res > 4) flops += 2.0 * c * cin * 9 * px / 4;
    flops += 2.0 * c * c * 9 * px;  // conv1
    flops += 2.0 * 3 * c * px;      // torgb
  }
  return flops;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t res = lagm::bench::int_flag(argc, argv, "--res", 256);
  const int reps = static_cast<int>(lagm::bench::int_flag(argc, argv, "--reps", 3));
  const int threads = lagm::core::configure_runtime(0);
  const auto o = lagm::bench::paper256_options(res);
  torch::manual_seed(0);
  sg2::Generator g(o);
  g->eval();
  const double peak = lagm::bench::measure_gemm_gflops();
  const double flops = synthesis_flops(o);
  std::printf(
      "paper256-sized generator at %lldx%lld, %d threads, fp32 GEMM peak %.1f GFLOP/s, %.1f "
      "GFLOP/image\n",
      static_cast<long long>(res), static_cast<long long>(res), threads, peak, flops / 1e9);
  std::printf("%-6s %-10s %10s %10s %12s\n", "batch", "modconv", "s/batch", "images/s",
              "% of peak");
  torch::NoGradGuard no_grad;
  for (int64_t batch : {1, 4}) {
    auto z = torch::randn({batch, o.z_dim});
    for (bool fused : {true, false}) {
      sg2::GenerateOptions go;
      go.truncation.psi = 0.7;
      go.truncation.cutoff = 8;
      go.noise_mode = lagm::models::NoiseMode::kRandom;
      go.force_fp32 = true;
      go.fused_modconv = fused;
      const double s = lagm::bench::time_median([&] { g->forward(z, go); }, reps, 1);
      std::printf("%-6lld %-10s %10.3f %10.2f %11.1f%%\n", static_cast<long long>(batch),
                  fused ? "fused" : "non-fused", s, batch / s,
                  100.0 * flops * batch / s / 1e9 / peak);
    }
  }
  return 0;
}

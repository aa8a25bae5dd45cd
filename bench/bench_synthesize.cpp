// Synthesis throughput (generator + annotator + argmax + confidence, no disk) at a paper256-sized
// configuration (256x256, channel_base 16384, FPN 128 channels, 8 classes), random weights; the
// batch-1 path is what `lagm synthesize` runs (per-image seeds), batch 4 shows the headroom.
//   build/bench/bench_synthesize [--res 256] [--reps 3]
#include <torch/torch.h>

#include <cstdio>
#include <cstring>

#include "bench_util.h"
#include "lagm/core/runtime.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/models/stylegan2/feature_generator.h"

namespace sg2 = lagm::models::stylegan2;

int main(int argc, char** argv) {
  const int64_t res = lagm::bench::int_flag(argc, argv, "--res", 256);
  const int reps = static_cast<int>(lagm::bench::int_flag(argc, argv, "--reps", 3));
  const int threads = lagm::core::configure_runtime(0);
  const auto o = lagm::bench::paper256_options(res);
  torch::manual_seed(0);
  sg2::StyleGAN2FeatureGenerator g(sg2::Generator(o), {});
  lagm::models::AnnotatorFPN a(lagm::models::AnnotatorFPNOptions(g.feature_shapes(), 8));
  a->eval();
  torch::NoGradGuard no_grad;
  std::printf("synthesis at %lldx%lld (paper256-sized G, FPN annotator), %d threads\n",
              static_cast<long long>(res), static_cast<long long>(res), threads);
  std::printf("%-6s %10s %10s %14s\n", "batch", "s/batch", "images/s", "annotator %");
  for (int64_t batch : {1, 4}) {
    auto z = torch::randn({batch, g.z_dim()});
    lagm::models::GeneratedBatch out;
    const double tg = lagm::bench::time_median([&] { out = g.generate(z); }, reps, 1);
    const double ta = lagm::bench::time_median(
        [&] { torch::softmax(a->forward(out.features), 1).max(1); }, reps, 1);
    std::printf("%-6lld %10.3f %10.2f %13.1f%%\n", static_cast<long long>(batch), tg + ta,
                batch / (tg + ta), 100 * ta / (tg + ta));
  }
  return 0;
}

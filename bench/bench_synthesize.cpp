// Synthesis throughput (generator + annotator + argmax + confidence, no disk) at batch 1 (what
// `lagm synthesize` runs, for per-image seeds) and larger batches, and whether a batch computes
// the same bytes as its images one at a time (constant noise, so only the arithmetic differs):
// quantized images and labels equal, and the largest float difference. By default a
// paper256-sized configuration (channel_base 16384, FPN 128 channels, 8 classes) with random
// weights; --generator FILE measures a checkpoint instead (e.g. models/faces64.safetensors).
//   build/bench/bench_synthesize [--res 256] [--generator FILE] [--reps 3] [--precision bf16]
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "bench_util.h"
#include "lagm/core/runtime.h"
#include "lagm/io/image.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/models/stylegan2/feature_generator.h"
#include "lagm/train/precision.h"

namespace sg2 = lagm::models::stylegan2;
namespace lt = lagm::train;

namespace {

/// What synthesis writes of a batch (quantized images, labels) and the float images.
struct Synthesized {
  torch::Tensor img8, label, img;
};

}  // namespace

int main(int argc, char** argv) {
  using lagm::bench::int_flag;
  using lagm::bench::string_flag;
  const int64_t res = int_flag(argc, argv, "--res", 256);
  const int reps = static_cast<int>(int_flag(argc, argv, "--reps", 3));
  const int threads =
      lagm::core::configure_runtime(static_cast<int>(int_flag(argc, argv, "--threads", 0)));
  const std::string file = string_flag(argc, argv, "--generator", "");
  const bool bf16 = lt::parse_precision(string_flag(argc, argv, "--precision", "fp32"),
                                        "--precision") == lt::Precision::kBf16;
  torch::manual_seed(0);
  std::unique_ptr<lagm::models::FeatureGenerator> g;
  if (file.empty())
    g = std::make_unique<sg2::StyleGAN2FeatureGenerator>(
        sg2::Generator(lagm::bench::paper256_options(res)), lagm::models::SamplingOptions{});
  else
    g = lagm::models::load_feature_generator(file, torch::kCPU);
  g->sampling().noise_mode = lagm::models::NoiseMode::kConst;
  g->set_bfloat16(bf16);
  lagm::models::AnnotatorFPN a(lagm::models::AnnotatorFPNOptions(g->feature_shapes(), 8));
  a->eval();
  if (bf16) lt::to_channels_last(*a);
  torch::NoGradGuard no_grad;
  const auto synthesize = [&](const torch::Tensor& z) {
    auto out = g->generate(z);
    torch::Tensor logits;
    {
      const lt::Bf16Autocast autocast(bf16, torch::kCPU);
      logits = a->forward(out.features);
    }
    auto [conf, label] = torch::softmax(logits.to(torch::kFloat32), 1).max(1);
    return Synthesized{lagm::io::quantize_generated(out.img), label, out.img};
  };
  std::printf("synthesis at %lldx%lld (%s, FPN annotator, %s), %d threads\n",
              static_cast<long long>(g->img_resolution()),
              static_cast<long long>(g->img_resolution()),
              file.empty() ? "paper256-sized G" : file.c_str(), bf16 ? "bf16" : "fp32", threads);
  std::printf("%-6s %10s %10s %9s %22s\n", "batch", "s/batch", "images/s", "vs 1",
              "same bytes as batch 1");
  double rate1 = 0;
  for (int64_t batch : {1, 4, 8}) {
    auto z = torch::randn({batch, g->z_dim()});
    const double t = lagm::bench::time_median([&] { synthesize(z); }, reps, 1);
    const double rate = static_cast<double>(batch) / t;
    if (batch == 1) rate1 = rate;
    const auto together = synthesize(z);
    bool same = true;
    double max_diff = 0;
    for (int64_t i = 0; i < batch; ++i) {
      const auto alone = synthesize(z.narrow(0, i, 1));
      same = same && together.img8.narrow(0, i, 1).equal(alone.img8) &&
             together.label.narrow(0, i, 1).equal(alone.label);
      max_diff =
          std::max(max_diff, (together.img.narrow(0, i, 1) - alone.img).abs().max().item<double>());
    }
    std::printf("%-6lld %10.3f %10.2f %8.2fx %8s (max |diff| %.1e)\n",
                static_cast<long long>(batch), t, rate, rate / rate1, same ? "yes" : "no",
                max_diff);
  }
  return 0;
}

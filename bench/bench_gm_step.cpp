// Seconds per iteration of Algorithm 1 (phase A + phase S), batch 2, for a U-Net (all parameters
// matched, the reference's UNet configs) and a DeepLabv3-ResNet101 (head matched) at 64x64 and
// 128x128, with a paper256-style generator (channel_base 16384, 8 mapping layers, random weights).
// "no G" rows feed random features instead of running G, to compare with the PyTorch loop of
// bench/reference_gm_step.py, which does the same.
//   build/bench/bench_gm_step [--iters 3] [--device cpu|cuda] [--res 64,128]
#include <torch/cuda.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <sstream>

#include "bench_util.h"
#include "lagm/core/runtime.h"
#include "lagm/matching/gm_step.h"
#include "lagm/models/stylegan2/feature_generator.h"
#include "lagm/train/optimizer.h"

namespace sg2 = lagm::models::stylegan2;
namespace matching = lagm::matching;

namespace {

// Random block features and images of the generator's shapes: the loop's cost without G.
class RandomFeatures : public lagm::models::FeatureGenerator {
 public:
  explicit RandomFeatures(std::vector<std::vector<int64_t>> shapes) : shapes_(std::move(shapes)) {}
  lagm::models::GeneratedBatch generate(const torch::Tensor& z) override {
    lagm::models::GeneratedBatch b;
    const int64_t n = z.size(0), r = shapes_.back()[1];
    const auto on = torch::TensorOptions().device(device_);
    b.img = torch::rand({n, 3, r, r}, on) * 2 - 1;
    for (const auto& s : shapes_) b.features.push_back(torch::randn({n, s[0], s[1], s[2]}, on));
    return b;
  }
  int64_t z_dim() const override { return 512; }
  int64_t img_resolution() const override { return shapes_.back()[1]; }
  std::vector<std::vector<int64_t>> feature_shapes() const override { return shapes_; }
  void to(torch::Device d) override { device_ = d; }
  torch::Device device() const override { return device_; }
  lagm::models::SamplingOptions& sampling() override { return sampling_; }
  std::string kind() const override { return "random"; }
  nlohmann::json config() const override { return {}; }

 private:
  std::vector<std::vector<int64_t>> shapes_;
  lagm::models::SamplingOptions sampling_;
  torch::Device device_ = torch::kCPU;
};

double time_loop(lagm::models::FeatureGenerator& g, const std::string& arch,
                 const std::string& regex, int iters, torch::Device device) {
  const int64_t k = 8, b = 2, r = g.img_resolution();
  torch::manual_seed(0);
  g.to(device);
  lagm::models::AnnotatorFPN a(lagm::models::AnnotatorFPNOptions(g.feature_shapes(), k));
  lagm::models::Segmenter s(
      lagm::models::segmenter_config_from_json({{"arch", arch}, {"num_classes", k}}, "bench"));
  a->to(device);
  s.module().to(device);
  auto opt_a = lagm::train::make_optimizer({}, a->parameters());
  auto opt_s = lagm::train::make_optimizer({}, s.module().parameters());
  matching::GradientMatchingStep step(g, a, s, *opt_a, *opt_s, regex, {});
  step.begin_training();
  const auto on = torch::TensorOptions().device(device);
  auto img = torch::rand({b, 3, r, r}, on) * 2 - 1;
  auto mask = torch::randint(0, k, {b, r, r}, on.dtype(torch::kLong));
  return lagm::bench::time_median(
      [&] {
        step.annotator_phase(img, mask, torch::randn({b, g.z_dim()}, on));
        step.segmenter_phase(torch::randn({b, g.z_dim()}, on));
        // CUDA work is queued: the iteration ends when the device is done with it.
        if (device.is_cuda()) torch::cuda::synchronize();
      },
      iters, 1);
}

std::vector<int64_t> resolutions(int argc, char** argv) {
  std::vector<int64_t> out;
  std::stringstream in(lagm::bench::string_flag(argc, argv, "--res", "64,128"));
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoll(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int iters = static_cast<int>(lagm::bench::int_flag(argc, argv, "--iters", 3));
  const int threads = lagm::core::configure_runtime(0);
  const torch::Device device =
      lagm::core::parse_device(lagm::bench::string_flag(argc, argv, "--device", "cpu"));
  std::printf("GM iteration (phase A + phase S), batch 2, %s, %d threads, median of %d\n",
              device.str().c_str(), threads, iters);
  std::printf("%-5s %-22s %-14s %12s %12s\n", "res", "segmenter", "matched", "s/iter",
              "s/iter no G");
  for (int64_t res : resolutions(argc, argv)) {
    const auto o = lagm::bench::paper256_options(res);
    torch::manual_seed(0);
    sg2::StyleGAN2FeatureGenerator g(sg2::Generator(o), {});
    RandomFeatures random(g.feature_shapes());
    for (auto [arch, regex] : {std::pair<std::string, std::string>{"unet", ".*"},
                               {"deeplabv3_resnet101", ".*classifier.*"}}) {
      const double with_g = time_loop(g, arch, regex, iters, device);
      const double no_g = time_loop(random, arch, regex, iters, device);
      std::printf("%-5lld %-22s %-14s %12.3f %12.3f\n", static_cast<long long>(res), arch.c_str(),
                  regex.c_str(), with_g, no_g);
      std::fflush(stdout);
    }
  }
  return 0;
}

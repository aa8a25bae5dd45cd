// One measurement of one configuration, as a JSON line, for bench/side_by_side.py (which runs it
// and the reference's Python in turns). The configurations match bench/reference_case.py's:
//   gm     one GM iteration (phase A + phase S) with the generator, batch 2, 8 classes:
//          --res 64|128 --seg unet|deeplab --match all|u4|head [--low-memory 1]
//   synth  one synthesized image: generator + FPN annotator + arg-max/confidence, batch 1
//   seg    one downstream training step: U-Net (64 base channels), batch 8, SGD
//   gan    one `lagm train-gan` iteration of the built-in config at --res (batch 16): G phase,
//          D phase and EMA, plus the lazy R1 phase's time / r1_interval (each phase timed apart)
//          --dump FILE instead writes its networks, a batch and what lagm computes from them, for
//          bench/reference_gan_step.py --check (both sides compute the same function)
//   peak   the machine's measured peaks: fp32 GEMM, fp32 and bf16 channels-last convolution
// Every GM and synthesis generator is paper256-sized (channel_base 16384, 8 mapping layers) with
// random weights.
//   build/bench/bench_case --case gm --res 64 --seg unet --match all [--precision bf16] [--reps 5]
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <cstdio>
#include <memory>
#include <string>

#include "bench_util.h"
#include "lagm/core/runtime.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/gan/gan_step.h"
#include "lagm/matching/gm_step.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/models/segmenter.h"
#include "lagm/models/stylegan2/feature_generator.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/precision.h"

namespace sg2 = lagm::models::stylegan2;
namespace lt = lagm::train;

namespace {

constexpr int64_t kClasses = 8;

std::string match_regex(const std::string& match) {
  if (match == "all") return ".*";
  if (match == "u4") return "up4.*|outc.*";  // the U-Net's last up block and its classifier
  return ".*classifier.*";                   // "head": DeepLab's head
}

lagm::models::Segmenter make_segmenter(const std::string& seg) {
  return lagm::models::Segmenter(lagm::models::segmenter_config_from_json(
      {{"arch", seg == "unet" ? "unet" : "deeplabv3_resnet101"}, {"num_classes", kClasses}},
      "bench"));
}

double time_gm(int64_t res, const std::string& seg, const std::string& match,
               lt::Precision precision, bool low_memory, int reps) {
  const int64_t b = 2;
  torch::manual_seed(0);
  sg2::StyleGAN2FeatureGenerator g(sg2::Generator(lagm::bench::paper256_options(res)), {});
  lagm::models::AnnotatorFPN a(lagm::models::AnnotatorFPNOptions(g.feature_shapes(), kClasses));
  auto s = make_segmenter(seg);
  auto opt_a = lt::make_optimizer({}, a->parameters());
  auto opt_s = lt::make_optimizer({}, s.module().parameters());
  lagm::matching::GradientMatchingStep step(g, a, s, *opt_a, *opt_s, match_regex(match), {});
  step.set_precision(precision);
  step.set_low_memory(low_memory);
  step.begin_training();
  auto img = torch::rand({b, 3, res, res}) * 2 - 1;
  auto mask = torch::randint(0, kClasses, {b, res, res}, torch::kLong);
  return lagm::bench::time_median(
      [&] {
        step.annotator_phase(img, mask, torch::randn({b, g.z_dim()}));
        step.segmenter_phase(torch::randn({b, g.z_dim()}));
      },
      reps, 1);
}

double time_synth(int64_t res, lt::Precision precision, int reps) {
  torch::manual_seed(0);
  sg2::StyleGAN2FeatureGenerator g(sg2::Generator(lagm::bench::paper256_options(res)), {});
  lagm::models::AnnotatorFPN a(lagm::models::AnnotatorFPNOptions(g.feature_shapes(), kClasses));
  a->eval();
  const bool bf16 = precision == lt::Precision::kBf16;
  if (bf16) lt::to_channels_last(*a);
  g.set_bfloat16(bf16);
  torch::NoGradGuard no_grad;
  return lagm::bench::time_median(
      [&] {
        auto out = g.generate(torch::randn({1, g.z_dim()}));
        torch::Tensor logits;
        {
          const lt::Bf16Autocast autocast(bf16, torch::kCPU);
          logits = a->forward(out.features);
        }
        torch::softmax(logits.to(torch::kFloat32), 1).max(1);
      },
      reps, 1);
}

double time_seg(int64_t res, lt::Precision precision, int reps) {
  torch::manual_seed(0);
  auto s = make_segmenter("unet");
  s.module().train();
  const bool bf16 = precision == lt::Precision::kBf16;
  if (bf16) lt::to_channels_last(s.module());
  auto opt = lt::make_optimizer({}, s.module().parameters());
  auto x = torch::rand({8, 3, res, res}) * 2 - 1;
  auto y = torch::randint(0, kClasses, {8, res, res}, torch::kLong);
  return lagm::bench::time_median(
      [&] {
        opt->zero_grad();
        torch::Tensor logits;
        {
          const lt::Bf16Autocast autocast(bf16, torch::kCPU);
          logits = s.forward(x);
        }
        torch::nn::functional::cross_entropy(logits.to(torch::kFloat32), y).backward();
        opt->step();
      },
      reps, 1);
}

lagm::gan::GanTrainConfig gan_config(int64_t res, lt::Precision precision) {
  auto config = lagm::gan::default_gan_config(res);
  config.bf16 = precision == lt::Precision::kBf16;  // what train-gan's "precision" sets
  return config;
}

double time_gan(int64_t res, lt::Precision precision, int reps) {
  torch::manual_seed(0);
  const auto config = gan_config(res, precision);
  lagm::gan::GanStep step(config, torch::kCPU);
  step.G->train();
  step.D->train();
  auto real = torch::rand({config.batch, 3, res, res}) * 2 - 1;
  const double main = lagm::bench::time_median(
      [&] {
        step.generator_phase();
        step.discriminator_phase(real);
        step.update_ema(1000000);
      },
      reps, 1);
  const double r1 = lagm::bench::time_median([&] { step.r1_phase(real); }, reps, 1);
  return main + r1 / static_cast<double>(config.r1_interval);
}

// The networks of time_gan, a batch of reals and what lagm computes from them: the mapping's ws
// (eval mode, no truncation), the training-mode image (non-fused modulation, constant noise), D's
// logits and the R1 penalty on the reals.
void dump_gan(int64_t res, const std::string& file) {
  torch::manual_seed(0);
  const auto config = gan_config(res, lt::Precision::kExact);
  lagm::gan::GanStep step(config, torch::kCPU);
  auto real = torch::rand({config.batch, 3, res, res}) * 2 - 1;
  auto z = torch::randn({config.batch, config.generator.z_dim});
  lagm::core::TensorDict t;
  t.update(lagm::core::state_dict(*step.G), "G.");
  t.update(lagm::core::state_dict(*step.D), "D.");
  step.G->mapping->eval();
  auto ws = step.G->mapping->forward(z).detach();
  step.G->train();
  torch::Tensor img;
  {
    torch::NoGradGuard no_grad;
    img = step.G->synthesis->forward(ws, lagm::models::NoiseMode::kConst, false, false).img;
  }
  auto x = real.clone().requires_grad_(true);
  auto logits = step.D->forward(x);
  auto grad = torch::autograd::grad({logits.sum()}, {x})[0];
  for (const auto& [name, value] : {std::pair<std::string, torch::Tensor>{"in.z", z},
                                    {"in.real", real},
                                    {"out.ws", ws},
                                    {"out.img", img},
                                    {"out.logits", logits.detach()},
                                    {"out.r1_penalty", grad.square().sum({1, 2, 3})}})
    t.set(name, value.contiguous());
  lagm::core::write_safetensors(file, t, {});
}

// GFLOP/s of a 3x3 convolution large enough to reach the machine's rate (256 channels, 64x64).
double conv_gflops(bool bf16) {
  auto x = torch::randn({4, 256, 64, 64}), w = torch::randn({256, 256, 3, 3});
  if (bf16) {
    x = x.to(torch::kBFloat16).contiguous(at::MemoryFormat::ChannelsLast);
    w = w.to(torch::kBFloat16).contiguous(at::MemoryFormat::ChannelsLast);
  }
  torch::NoGradGuard no_grad;
  const double s = lagm::bench::time_median(
      [&] {
        torch::nn::functional::conv2d(x, w, torch::nn::functional::Conv2dFuncOptions().padding(1));
      },
      5, 2);
  return 2.0 * 4 * 256 * 64 * 64 * 256 * 9 / s / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  using lagm::bench::int_flag;
  using lagm::bench::string_flag;
  const int threads =
      lagm::core::configure_runtime(static_cast<int>(int_flag(argc, argv, "--threads", 0)));
  const std::string kase = string_flag(argc, argv, "--case", "gm");
  const int64_t res = int_flag(argc, argv, "--res", 64);
  const int reps = static_cast<int>(int_flag(argc, argv, "--reps", 5));
  const auto precision =
      lt::parse_precision(string_flag(argc, argv, "--precision", "fp32"), "--precision");
  if (kase == "peak") {
    std::printf(
        "{\"threads\": %d, \"gemm_gflops\": %.1f, \"conv_gflops\": %.1f, \"conv_bf16_gflops\": "
        "%.1f}\n",
        threads, lagm::bench::measure_gemm_gflops(), conv_gflops(false), conv_gflops(true));
    return 0;
  }
  const std::string dump = string_flag(argc, argv, "--dump", "");
  if (kase == "gan" && !dump.empty()) {
    dump_gan(res, dump);
    return 0;
  }
  // --profile FILE: a Chrome trace of the timed calls (chrome://tracing, or sum it per operator).
  const std::string profile = string_flag(argc, argv, "--profile", "");
  std::unique_ptr<torch::autograd::profiler::RecordProfile> recording;
  if (!profile.empty())
    recording = std::make_unique<torch::autograd::profiler::RecordProfile>(profile);
  double seconds = 0;
  if (kase == "gm")
    seconds = time_gm(res, string_flag(argc, argv, "--seg", "unet"),
                      string_flag(argc, argv, "--match", "all"), precision,
                      int_flag(argc, argv, "--low-memory", 0) != 0, reps);
  else if (kase == "synth")
    seconds = time_synth(res, precision, reps);
  else if (kase == "seg")
    seconds = time_seg(res, precision, reps);
  else if (kase == "gan")
    seconds = time_gan(res, precision, reps);
  else {
    std::fprintf(stderr, "bench_case: unknown --case '%s' (gm, synth, seg, gan, peak)\n",
                 kase.c_str());
    return 2;
  }
  std::printf("{\"threads\": %d, \"seconds\": %.6f}\n", threads, seconds);
  return 0;
}

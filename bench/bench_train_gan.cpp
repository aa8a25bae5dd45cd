// GAN training throughput (images/s) of `lagm train-gan`'s default 64x64 configuration, whole
// runs (start-up, sample grids and the snapshot included), with the speed options: fp32,
// channels-last, bf16 autocast, each as a ratio to fp32 in the same run. The comparison with the
// reference's formulas is bench/side_by_side.py's GAN step (timed in the same run as lagm).
//   build/bench/bench_train_gan [--iters 20] [--threads 0] [--profile trace.json]
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "bench_util.h"
#include "lagm/core/runtime.h"
#include "lagm/gan/gan_trainer.h"

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const auto iters = lagm::bench::int_flag(argc, argv, "--iters", 20);
  lagm::core::configure_runtime(
      static_cast<int>(lagm::bench::int_flag(argc, argv, "--threads", 0)));
  std::string profile;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--profile") profile = argv[i + 1];
  std::printf("threads %d, batch 16, %lld iterations per variant\n", torch::get_num_threads(),
              iters);
  struct Variant {
    const char* name;
    bool channels_last, bf16;
  };
  double fp32_rate = 0;
  for (const Variant v : {Variant{"fp32", false, false}, Variant{"channels-last", true, false},
                          Variant{"bf16 autocast", false, true}}) {
    auto config = lagm::gan::default_gan_config(64);
    config.channels_last = v.channels_last;
    config.bf16 = v.bf16;
    config.total_kimg = static_cast<double>(iters * config.batch) / 1000.0;
    config.snapshot_kimg = 1e9;
    const auto dir =
        std::filesystem::temp_directory_path() / ("lagm_bench_gan_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    lagm::gan::GanTrainResult r;
    if (!profile.empty() && !v.channels_last && !v.bf16) {
      torch::autograd::profiler::RecordProfile guard(profile);
      r = lagm::gan::train_gan(config, dir.string(), torch::kCPU);
    } else {
      r = lagm::gan::train_gan(config, dir.string(), torch::kCPU);
    }
    std::filesystem::remove_all(dir);
    if (fp32_rate == 0) fp32_rate = r.images_per_second;
    std::printf("%-14s %6.2f img/s  (%.2fx fp32)\n", v.name, r.images_per_second,
                r.images_per_second / fp32_rate);
  }
  return 0;
}

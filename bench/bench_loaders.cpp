// Loader throughput, lagm side: the paper's loaders on the trees bench/reference_loaders.py builds
// (run it first; it prints the reference's samples/s for the ratio):
//   python3 bench/reference_loaders.py /tmp/loaders 20 && build/bench/bench_loaders /tmp/loaders 20
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "lagm/core/runtime.h"
#include "lagm/data/dataset_spec.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: bench_loaders DIR [N]   (after python3 bench/reference_loaders.py DIR N)\n");
    return 2;
  }
  const std::string d = argv[1];
  const int64_t n = argc > 2 ? std::stoll(argv[2]) : 20;
  lagm::core::configure_runtime(0);
  const std::pair<const char*, nlohmann::json> specs[] = {
      {"celeba",
       {{"class_name", "CelebAMaskDataset"},
        {"rootdir", d + "/celeba"},
        {"split", "train"},
        {"limit_size", n},
        {"img_size", 256}}},
      {"datasetgan",
       {{"class_name", "DatasetGANDataset"},
        {"rootdir", d + "/DatasetGAN/annotation"},
        {"obj", "car"},
        {"split", "train"},
        {"img_size", 512}}},
      {"pascal",
       {{"class_name", "PascalPart"},
        {"rootdir", d + "/pascal_part/horse/train"},
        {"split", "train"},
        {"img_size", 256}}},
  };
  for (const auto& [name, spec] : specs) {
    const auto ds = lagm::data::open_dataset(spec, name);
    ds->get(0);  // warm-up
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < ds->size(); ++i) ds->get(i);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("lagm      %-11s %8.1f samples/s\n", name, double(ds->size()) / sec);
  }
  return 0;
}

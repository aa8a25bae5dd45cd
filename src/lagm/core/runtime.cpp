#include "lagm/core/runtime.h"

#include <ATen/Parallel.h>
#include <malloc.h>
#include <torch/cuda.h>

#include <thread>

#include "lagm/core/error.h"

namespace lagm::core {

int configure_runtime(int threads) {
  // Keep freed blocks of up to 1 GiB in the heap instead of mmap/munmap-ing them per tensor.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setBenchmarkCuDNN(true);
  return threads;
}

torch::Device parse_device(const std::string& text) {
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (text.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw UsageError("--device " + text +
                       ": CUDA is not available in this build or on this machine");
    try {
      return torch::Device(text);
    } catch (const c10::Error&) {
      throw UsageError("--device " + text + ": not a valid device");
    }
  }
  throw UsageError("--device " + text + ": expected cpu, cuda or cuda:N");
}

}  // namespace lagm::core

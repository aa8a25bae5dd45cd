#include "lagm/core/runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>
#include <torch/cuda.h>

#include <cstdlib>
#include <thread>

#include "lagm/core/error.h"
#include "lagm/core/tensor_memory_pool.h"

namespace lagm::core {

bool set_blas_threads(int threads) {
  // Looked up at run time: Debian's LibTorch reaches OpenBLAS through the system BLAS, an official
  // LibTorch brings MKL (which follows ATen's thread count) and has no such symbol.
  using SetThreads = void (*)(int);
  auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!set) return false;
  set(threads);
  return true;
}

int configure_runtime(int threads) {
  // Keep freed blocks of up to 1 GiB in the heap instead of mmap/munmap-ing them per tensor.
  // Tensors of 1 MiB and up from lagm's pool (tensor_memory_pool.h); the rest from glibc, which
  // keeps freed blocks of up to 1 GiB in its heap instead of mmap/munmap-ing them per tensor.
  TensorMemoryPool::install();
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (threads <= 0) {
    // Every core, shared out among the processes of a data-parallel launch on this machine.
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const char* local = std::getenv("LOCAL_WORLD_SIZE");
    const int processes = local ? std::atoi(local) : 1;
    if (processes > 1) threads = std::max(1, threads / processes);
  }
  at::set_num_threads(threads);
  // ATen already spreads work over its OpenMP threads and calls the BLAS from inside them; an
  // OpenBLAS pool of its own (one thread per core by default) then spins beside them. Measured on
  // 2 cores, 2 ATen threads (docs/build.md, "Threads"): a phase-I step 0.85x, synthesis 0.8x, the
  // 256 px generator 0.8-0.9x the time with OpenBLAS's default; only one large lone matrix product
  // (1024^2) is slower (2x). A user's OPENBLAS_NUM_THREADS is left as set.
  if (!std::getenv("OPENBLAS_NUM_THREADS")) set_blas_threads(1);
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setBenchmarkCuDNN(true);
  return threads;
}

torch::Device parse_device(const std::string& text) {
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (text.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw SettingError("device",
                         text + ": CUDA is not available in this build or on this machine");
    try {
      return torch::Device(text);
    } catch (const c10::Error&) {
      throw SettingError("device", text + ": not a valid device");
    }
  }
  throw SettingError("device", text + ": expected cpu, cuda or cuda:N");
}

}  // namespace lagm::core

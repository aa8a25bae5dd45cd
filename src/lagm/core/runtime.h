// Process-wide runtime settings that only the application sets: threads, allocator
// behaviour and the numerics switches the reference uses.
#pragma once

#include <torch/types.h>

#include <string>

namespace lagm::core {

/// Configures the process for heavy tensor work: intra-op threads (0 = number of cores, divided
/// among LOCAL_WORLD_SIZE processes; LibTorch defaults to 1 here), tensors from lagm's memory pool
/// so that large ones are not returned to the kernel after every use (tensor_memory_pool.h) and
/// glibc's thresholds raised for the small ones, and TF32 off as the reference sets it. Returns the
/// thread count in effect. OpenBLAS's own pool is set to one thread unless OPENBLAS_NUM_THREADS is
/// set (see the .cpp).
int configure_runtime(int threads);

/// Sets OpenBLAS's thread count when the BLAS in this process is OpenBLAS; false otherwise.
bool set_blas_threads(int threads);

/// Parses "cpu", "cuda", "cuda:1"; throws UsageError when the device is unknown or unavailable.
torch::Device parse_device(const std::string& text);

}  // namespace lagm::core

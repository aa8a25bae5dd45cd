// The CPU allocator of every tensor lagm makes: large blocks are kept for reuse instead of being
// returned to the kernel, the way a GPU caching allocator keeps device memory.
//
// Why: a training step allocates and frees the same large tensors every step. Returned to the
// kernel after each use (glibc's default for blocks over its mmap threshold), every step pays a
// page fault per 4 KiB of them: measured here, a 256-px gradient-matching step took 42 s instead
// of 15 s. Kept in glibc's heap instead (thresholds raised, lagm's earlier way), they are reused
// but the heap fragments, small long-lived objects pin its holes, and its resident size only
// grows: 3.1 GB for the same step, whose live tensors peak at 2.0 GB. The pool maps each large
// block on its own, reuses a free block for a request
// up to an eighth smaller, and keeps what it maps within the most its tensors have held at once
// plus a quarter (at most a cache limit), giving free blocks beyond that back to the kernel.
// `LAGM_TENSOR_POOL=off` in the environment leaves LibTorch's own allocator in place.
#pragma once

#include <c10/core/Allocator.h>
#include <torch/version.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>

namespace lagm::core {

/// Counters of one pool, in bytes (blocks are whole pages).
struct PoolStats {
  size_t live = 0;       ///< blocks handed out and not yet freed
  size_t cached = 0;     ///< free blocks kept for reuse
  size_t peak_live = 0;  ///< the most `live` has been
  int64_t maps = 0;      ///< blocks taken from the kernel so far (a miss each)
  int64_t unmaps = 0;    ///< blocks given back
};

class TensorMemoryPool final : public c10::Allocator {
 public:
  /// Requests of at least `pooled_from` bytes come from the pool, smaller ones from the C heap;
  /// the pool maps at most its peak of live bytes plus a quarter of it, at most `cache_limit`.
  /// It must outlive its blocks.
  TensorMemoryPool(size_t pooled_from, size_t cache_limit);
  ~TensorMemoryPool() override;
  TensorMemoryPool(const TensorMemoryPool&) = delete;
  TensorMemoryPool& operator=(const TensorMemoryPool&) = delete;

  // LibTorch 2.3 made allocate non-const and added copy_data.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t bytes) override { return take(bytes); }
  void copy_data(void* dest, const void* src, size_t count) const override {
    default_copy_data(dest, src, count);
  }
#else
  c10::DataPtr allocate(size_t bytes) const override { return take(bytes); }
#endif
  c10::DeleterFnPtr raw_deleter() const override { return &give_back_any; }

  PoolStats stats() const;
  /// Gives every free block back to the kernel.
  void release_cached();

  /// The pool every CPU tensor of this process comes from once installed (configure_runtime):
  /// 1 MiB and up pooled; cache limit 256 MiB.
  /// Never destroyed, so that tensors freed during the process's exit still find it.
  static TensorMemoryPool& process_pool();
  /// Makes process_pool() LibTorch's CPU allocator (tensors made before keep their own), unless
  /// LAGM_TENSOR_POOL=off.
  static void install();

 private:
  c10::DataPtr take(size_t bytes) const;
  void* map_block(size_t mapped) const;
  void give_back(void* base, size_t mapped) const;
  void trim_cache_locked() const;
  static void give_back_any(void* data);

  const size_t pooled_from_, cache_limit_;
  mutable std::mutex mutex_;
  mutable std::multimap<size_t, void*> free_;  // mapped size -> block: best fit
  mutable PoolStats stats_;
};

}  // namespace lagm::core

#include "lagm/core/tensor_memory_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <string>

namespace lagm::core {
namespace {

// Every block starts with this header, so that one deleter serves the pool's blocks and the C
// heap's (LibTorch's raw_allocate/raw_deallocate take a single deleter for both). 64 bytes keep
// the data as aligned as LibTorch's own allocator does.
struct alignas(64) BlockHeader {
  const TensorMemoryPool* pool;  // null: from the C heap
  size_t mapped;
};
constexpr size_t kHeader = sizeof(BlockHeader);
static_assert(kHeader == 64);
constexpr size_t kPage = 4096;

void* data_of(BlockHeader* header) { return reinterpret_cast<char*>(header) + kHeader; }

c10::DataPtr data_ptr(void* data, c10::DeleterFnPtr deleter) {
  return {data, data, deleter, c10::Device(c10::DeviceType::CPU)};
}

}  // namespace

TensorMemoryPool::TensorMemoryPool(size_t pooled_from, size_t cache_limit)
    : pooled_from_(pooled_from), cache_limit_(cache_limit) {}

TensorMemoryPool::~TensorMemoryPool() { release_cached(); }

c10::DataPtr TensorMemoryPool::take(size_t bytes) const {
  if (bytes == 0) return data_ptr(nullptr, raw_deleter());
  // The header and the page rounding must not wrap a request near SIZE_MAX into a small block.
  TORCH_CHECK(bytes <= SIZE_MAX - kHeader - kPage, "out of memory: ", bytes, " bytes for a tensor");
  const size_t total = bytes + kHeader;
  if (total < pooled_from_) {
    void* p = nullptr;
    TORCH_CHECK(posix_memalign(&p, kHeader, total) == 0, "out of memory: ", bytes,
                " bytes for a tensor");
    auto* header = static_cast<BlockHeader*>(p);
    *header = {nullptr, 0};
    return data_ptr(data_of(header), raw_deleter());
  }
  const size_t mapped = (total + kPage - 1) / kPage * kPage;
  void* base = nullptr;
  size_t size = mapped;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    // The smallest free block that fits, unless it is more than an eighth too large.
    const auto fit = free_.lower_bound(mapped);
    if (fit != free_.end() && fit->first <= mapped + mapped / 8) {
      base = fit->second;
      size = fit->first;
      stats_.cached -= size;
      free_.erase(fit);
      stats_.live += size;
      stats_.peak_live = std::max(stats_.peak_live, stats_.live);
    }
  }
  if (!base) base = map_block(mapped);
  auto* header = static_cast<BlockHeader*>(base);
  *header = {this, size};
  return data_ptr(data_of(header), raw_deleter());
}

void* TensorMemoryPool::map_block(size_t mapped) const {
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    // Free blocks of other sizes may be what stands in the way.
    const_cast<TensorMemoryPool*>(this)->release_cached();
    base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  TORCH_CHECK(base != MAP_FAILED, "out of memory: ", mapped, " bytes for a tensor");
  // No 2 MiB pages (MADV_HUGEPAGE), though they fault 8x less: the kernel clears each one whole
  // on its first touch, and on a virtual machine whose host backs it lazily that clearing came to
  // dominate (measured: a 128-px DeepLab step 2.27 s with them, 1.36 s without; 4.8 s of kernel
  // time a run against 0.8 s).
  const std::lock_guard<std::mutex> lock(mutex_);
  stats_.live += mapped;
  stats_.peak_live = std::max(stats_.peak_live, stats_.live);
  ++stats_.maps;
  trim_cache_locked();
  return base;
}

void TensorMemoryPool::give_back(void* base, size_t mapped) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  stats_.live -= mapped;
  stats_.cached += mapped;
  free_.emplace(mapped, base);
  trim_cache_locked();
}

// What the pool maps stays within the most its tensors have held at once plus a quarter of that,
// at most the cache limit: a step's working set is kept for the next step, and free blocks beyond
// it (the largest first) go back to the kernel.
void TensorMemoryPool::trim_cache_locked() const {
  const size_t bound = stats_.peak_live + std::min(cache_limit_, stats_.peak_live / 4);
  while (stats_.live + stats_.cached > bound && !free_.empty()) {
    const auto largest = std::prev(free_.end());
    munmap(largest->second, largest->first);
    stats_.cached -= largest->first;
    ++stats_.unmaps;
    free_.erase(largest);
  }
}

void TensorMemoryPool::give_back_any(void* data) {
  if (!data) return;
  auto* header = reinterpret_cast<BlockHeader*>(static_cast<char*>(data) - kHeader);
  if (header->pool)
    header->pool->give_back(header, header->mapped);
  else
    std::free(header);
}

PoolStats TensorMemoryPool::stats() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void TensorMemoryPool::release_cached() {
  const std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [size, base] : free_) {
    munmap(base, size);
    ++stats_.unmaps;
  }
  free_.clear();
  stats_.cached = 0;
}

TensorMemoryPool& TensorMemoryPool::process_pool() {
  // The cache trades memory for faults. Measured (one thread, GM steps, against LibTorch's
  // allocator over glibc; docs/benchmarks.md): with a quarter of the peak, at most 256 MiB, no
  // step is slower and every peak falls; at a flat 64 MiB a 64-px DeepLab step was 1.2x slower
  // (a block mapped again faults per 4 KiB), at a flat 256 MiB the small steps' peaks rose.
  static auto* pool = new TensorMemoryPool(size_t{1} << 20, size_t{256} << 20);
  return *pool;
}

void TensorMemoryPool::install() {
  if (const char* pool = std::getenv("LAGM_TENSOR_POOL"); pool && std::string(pool) == "off")
    return;
  c10::SetAllocator(c10::DeviceType::CPU, &process_pool());
}

}  // namespace lagm::core

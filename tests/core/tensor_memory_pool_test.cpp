// The tensor memory pool: large blocks are reused rather than mapped again, a block too large for a
// request is not handed out, what the pool maps stays within its live peak plus a bounded cache,
// small and empty requests work, tensors made from it hold what is written to them, and the
// process's CPU allocator is the pool once the runtime is configured.
#include "lagm/core/tensor_memory_pool.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "lagm/core/runtime.h"

namespace {

using lagm::core::TensorMemoryPool;
constexpr size_t kMiB = size_t{1} << 20;

TEST(TensorMemoryPool, AFreedBlockServesTheNextRequestOfItsSize) {
  TensorMemoryPool pool(kMiB, 64 * kMiB);
  void* first = nullptr;
  {
    auto block = pool.allocate(3 * kMiB);
    first = block.get();
    std::memset(first, 7, 3 * kMiB);  // the whole block is writable
    EXPECT_GE(pool.stats().live, 3 * kMiB);
  }
  EXPECT_EQ(pool.stats().live, 0u);
  EXPECT_GE(pool.stats().cached, 3 * kMiB);
  // A request an eighth smaller still fits the free block; twice as small does not.
  auto again = pool.allocate(3 * kMiB - kMiB / 4);
  EXPECT_EQ(again.get(), first);
  EXPECT_EQ(pool.stats().maps, 1);
  auto smaller = pool.allocate(3 * kMiB / 2);
  EXPECT_NE(smaller.get(), first);
  EXPECT_EQ(pool.stats().maps, 2);
}

TEST(TensorMemoryPool, WhatItMapsStaysWithinThePeakPlusAQuarterAtMostTheCacheLimit) {
  TensorMemoryPool pool(kMiB, 3 * kMiB);
  {
    std::vector<c10::DataPtr> blocks;
    blocks.reserve(4);
    for (int i = 0; i < 4; ++i) blocks.push_back(pool.allocate(4 * kMiB));
  }
  const size_t peak = pool.stats().peak_live;
  EXPECT_GE(peak, 16 * kMiB);
  // Requests of other sizes find no fitting free block: new blocks are mapped and the free ones
  // beyond the bound go back to the kernel.
  std::vector<c10::DataPtr> others;
  others.reserve(6);
  for (int i = 0; i < 6; ++i) {
    others.push_back(pool.allocate(2 * kMiB));
    const auto s = pool.stats();
    EXPECT_LE(s.live + s.cached, s.peak_live + std::min(3 * kMiB, s.peak_live / 4)) << i;
  }
  EXPECT_GT(pool.stats().unmaps, 0);
  EXPECT_EQ(pool.stats().peak_live, peak);
  others.clear();
  pool.release_cached();
  EXPECT_EQ(pool.stats().cached, 0u);
}

TEST(TensorMemoryPool, SmallAndEmptyRequestsAndTheRawInterfaceWork) {
  TensorMemoryPool pool(kMiB, 8 * kMiB);
  auto small = pool.allocate(100);
  ASSERT_NE(small.get(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.get()) % 64, 0u);
  std::memset(small.get(), 1, 100);
  EXPECT_EQ(pool.stats().maps, 0);  // from the C heap
  EXPECT_EQ(pool.allocate(0).get(), nullptr);
  EXPECT_THROW(pool.allocate(SIZE_MAX - 8), c10::Error);  // not wrapped into a small block
  // LibTorch's raw interface hands the pointer back through raw_deleter, pooled or not.
  for (size_t bytes : {size_t{64}, 2 * kMiB}) {
    void* p = pool.raw_allocate(bytes);
    std::memset(p, 3, bytes);
    pool.raw_deallocate(p);
  }
  EXPECT_EQ(pool.stats().live, 0u);
}

TEST(TensorMemoryPool, TheRuntimeMakesItTheCpuAllocatorOfTensors) {
  lagm::core::configure_runtime(1);
  EXPECT_EQ(c10::GetAllocator(c10::DeviceType::CPU), &TensorMemoryPool::process_pool());
  auto x = torch::arange(1 << 20, torch::kFloat32);  // 4 MiB
  EXPECT_GE(TensorMemoryPool::process_pool().stats().live, 4 * kMiB);
  EXPECT_EQ(x.sum().item<double>(), double(1 << 20) * ((1 << 20) - 1) / 2);
  auto y = torch::randn({512, 512}).matmul(torch::eye(512));
  EXPECT_EQ(y.size(0), 512);
}

}  // namespace

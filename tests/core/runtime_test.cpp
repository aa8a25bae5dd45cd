#include "lagm/core/runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace {

using GetThreads = int (*)();

GetThreads openblas_thread_count() {
  return reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
}

TEST(Runtime, SetsAtenThreadsAndKeepsOpenBlasToOneThread) {
  if (std::getenv("OPENBLAS_NUM_THREADS")) GTEST_SKIP() << "OPENBLAS_NUM_THREADS is set";
  EXPECT_EQ(lagm::core::configure_runtime(2), 2);
  EXPECT_EQ(at::get_num_threads(), 2);
  const auto get = openblas_thread_count();
  if (!get) GTEST_SKIP() << "the BLAS of this LibTorch is not OpenBLAS";
  EXPECT_EQ(get(), 1);
}

TEST(Runtime, SetBlasThreadsReachesOpenBlasWhenPresent) {
  const auto get = openblas_thread_count();
  const bool reached = lagm::core::set_blas_threads(2);
  EXPECT_EQ(reached, get != nullptr);
  if (get) {
    EXPECT_EQ(get(), 2);
  }
  lagm::core::set_blas_threads(1);
  if (get) {
    EXPECT_EQ(get(), 1);
  }
}

}  // namespace

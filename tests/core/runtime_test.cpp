#include "lagm/core/runtime.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "lagm/core/error.h"

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

// A setting refused by the library: named by its key by default, by whatever a caller maps keys to.
TEST(SettingError, NamesTheSettingAndThoseItsProblemMentions) {
  const lagm::SettingError e("mix_per_batch", "must be in [1, {batch}) with {mix_data}");
  EXPECT_STREQ(e.what(), "mix_per_batch must be in [1, batch) with mix_data");
  EXPECT_EQ(e.key(), "mix_per_batch");
  const auto option = [](const std::string& key) { return "--" + key; };
  EXPECT_EQ(e.message(option), "--mix_per_batch must be in [1, --batch) with --mix_data");
  const lagm::UsageError& usage = e;  // callers that only know UsageError still get exit code 2
  EXPECT_NE(std::string(usage.what()).find("mix_per_batch"), std::string::npos);
}

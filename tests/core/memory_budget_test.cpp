#include "lagm/core/memory_budget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "lagm/core/error.h"

using ::testing::HasSubstr;

namespace {

// Sets LAGM_MEMORY_LIMIT for one scope.
class MemoryLimit {
 public:
  explicit MemoryLimit(const char* value) { ::setenv("LAGM_MEMORY_LIMIT", value, 1); }
  ~MemoryLimit() { ::unsetenv("LAGM_MEMORY_LIMIT"); }
  MemoryLimit(const MemoryLimit&) = delete;
  MemoryLimit& operator=(const MemoryLimit&) = delete;
};

}  // namespace

TEST(MemoryBudget, FormatsBytesInBinaryUnits) {
  EXPECT_EQ(lagm::core::format_bytes(512), "512 B");
  EXPECT_EQ(lagm::core::format_bytes(1536), "1.5 KB");
  EXPECT_EQ(lagm::core::format_bytes(3.5 * 1024 * 1024 * 1024), "3.5 GB");
}

// The machine's memory is read (Linux), LAGM_MEMORY_LIMIT lowers it, and an estimate above what is
// available is refused naming the setting, the estimate and what is available.
TEST(MemoryBudget, EstimatesAboveTheAvailableMemoryAreRefused) {
  const auto machine = lagm::core::available_memory_bytes();
  EXPECT_GT(machine, 0u);
  EXPECT_THROW(lagm::core::require_memory(1e30, "--batch 9", "images"), lagm::InputError);
  EXPECT_NO_THROW(lagm::core::require_memory(1024, "--batch 1", "images"));
  const MemoryLimit limit("2M");
  EXPECT_EQ(lagm::core::available_memory_bytes(), std::min<uint64_t>(machine, 2u << 20));
  EXPECT_NO_THROW(lagm::core::require_memory(1.5 * 1024 * 1024, "--batch 3", "images"));
  try {
    lagm::core::require_memory(3 * 1024 * 1024, "--batch 4", "4 images of 512x512");
    ADD_FAILURE() << "3 MB accepted under a 2 MB limit";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--batch 4 needs at least 3.0 MB"));
    EXPECT_THAT(e.what(), HasSubstr("(4 images of 512x512)"));
    EXPECT_THAT(e.what(), HasSubstr("2.0 MB is available"));
  }
}

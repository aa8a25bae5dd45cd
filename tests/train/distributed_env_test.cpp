// torchrun's launch variables as lagm reads them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "lagm/core/error.h"
#include "lagm/core/runtime.h"
#include "lagm/train/distributed.h"

namespace {

using lagm::train::distributed_env_from_environment;
using ::testing::HasSubstr;

// Sets the variables for one test and clears them after it.
struct LaunchVariables {
  explicit LaunchVariables(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) setenv(name, value, 1);
  }
  ~LaunchVariables() {
    for (const char* name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                             "MASTER_PORT", "LAGM_DISTRIBUTED_TIMEOUT"})
      unsetenv(name);
  }
};

TEST(DistributedEnv, WithoutWorldSizeOneProcess) {
  const LaunchVariables vars({});
  const auto env = distributed_env_from_environment();
  EXPECT_FALSE(env.active());
  EXPECT_EQ(env.rank, 0);
  EXPECT_EQ(env.world_size, 1);
}

TEST(DistributedEnv, ReadsTorchrunsVariables) {
  const LaunchVariables vars({{"RANK", "3"},
                              {"WORLD_SIZE", "4"},
                              {"LOCAL_RANK", "1"},
                              {"LOCAL_WORLD_SIZE", "2"},
                              {"MASTER_ADDR", "10.0.0.7"},
                              {"MASTER_PORT", "1234"},
                              {"LAGM_DISTRIBUTED_TIMEOUT", "9"}});
  const auto env = distributed_env_from_environment();
  EXPECT_TRUE(env.active());
  EXPECT_EQ(env.rank, 3);
  EXPECT_EQ(env.world_size, 4);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 2);
  EXPECT_EQ(env.master_addr, "10.0.0.7");
  EXPECT_EQ(env.master_port, 1234);
  EXPECT_EQ(env.timeout, std::chrono::seconds(9));
}

TEST(DistributedEnv, AVariableOutOfRangeIsNamed) {
  for (const auto& [name, value] : std::vector<std::pair<const char*, const char*>>{
           {"RANK", "4"}, {"RANK", "x"}, {"MASTER_PORT", "70000"}, {"LOCAL_RANK", "-1"}}) {
    const LaunchVariables vars({{"WORLD_SIZE", "4"}, {"RANK", "0"}, {name, value}});
    try {
      distributed_env_from_environment();
      FAIL() << name << "=" << value << " accepted";
    } catch (const lagm::UsageError& e) {
      EXPECT_THAT(e.what(), HasSubstr(name));
    }
  }
  const LaunchVariables vars({{"WORLD_SIZE", "2"}});
  EXPECT_THROW(distributed_env_from_environment(), lagm::UsageError);  // RANK missing
}

TEST(DistributedEnv, DefaultThreadsAreSharedAmongTheLocalProcesses) {
  const int all = lagm::core::configure_runtime(0);
  const LaunchVariables vars({{"LOCAL_WORLD_SIZE", "2"}});
  EXPECT_EQ(lagm::core::configure_runtime(0), std::max(1, all / 2));
  EXPECT_EQ(lagm::core::configure_runtime(3), 3);  // an explicit count stays
}

}  // namespace

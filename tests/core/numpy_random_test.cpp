#include "lagm/core/numpy_random.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "lagm/core/safetensors.h"
#include "test_support.h"

TEST(NumpyRandomState, RandnIsBitIdenticalToNumpy) {
  const auto d = lagm::test::fresh_temp_dir("np").string();
  ASSERT_EQ(lagm::test::run_python_file("io_reference", {"numpy-random", d + "/a.bin"}), 0);
  std::ifstream in(d + "/a.bin", std::ios::binary);
  std::vector<double> ref(33);
  in.read(reinterpret_cast<char*>(ref.data()), 33 * 8);
  int i = 0;
  for (uint32_t seed : {0u, 1u, 85u, 4294967295u}) {
    auto z = lagm::core::NumpyRandomState(seed).randn({1, 7});
    for (int k = 0; k < 7; ++k, ++i) EXPECT_EQ(z[0][k].item<double>(), ref[i]) << seed << " " << k;
  }
  lagm::core::NumpyRandomState r(3);
  for (int k = 0; k < 5; ++k, ++i) EXPECT_EQ(r.random_sample(), ref[i]);
}

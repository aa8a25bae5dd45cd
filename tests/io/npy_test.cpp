#include "lagm/io/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "lagm/core/error.h"
#include "test_support.h"

using ::testing::HasSubstr;

TEST(Npy, ReadsEveryDtypeNumpyWrites) {
  const auto d = lagm::test::fresh_temp_dir("npy").string();
  ASSERT_EQ(lagm::test::run_python_file("io_reference", {"npy-dtypes", d}), 0);
  auto expected = torch::arange(24, torch::kInt64).view({2, 3, 4}).remainder(7);
  for (const char* t : {"u1", "i1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "b1"}) {
    auto a = lagm::io::read_npy(d + "/" + t + ".npy");
    ASSERT_EQ(a.sizes(), expected.sizes()) << t;
    auto want = std::string(t) == "b1" ? expected.ne(0).to(torch::kInt64) : expected;
    EXPECT_TRUE(torch::equal(a.to(torch::kInt64), want)) << t;
  }
  EXPECT_EQ(lagm::io::read_npy(d + "/f4.npy").scalar_type(), torch::kFloat32);
  EXPECT_EQ(lagm::io::read_npy(d + "/u1.npy").scalar_type(), torch::kUInt8);
  auto s = lagm::io::read_npy(d + "/scalar.npy");
  EXPECT_EQ(s.dim(), 0);
  EXPECT_FLOAT_EQ(s.item<float>(), 2.5f);
  EXPECT_THROW(lagm::io::read_npy(d + "/fortran.npy"), lagm::InputError);
  try {
    lagm::io::read_npy(d + "/big.npy");
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("big-endian"));
  }
}

TEST(Npy, RejectsTruncatedDataAndBadMagic) {
  const auto d = lagm::test::fresh_temp_dir("npybad").string();
  ASSERT_EQ(lagm::test::run_python_file("io_reference", {"npy-ones", d + "/a.npy", "50", "50"}), 0);
  std::ifstream in(d + "/a.npy", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  try {
    lagm::io::parse_npy(bytes.substr(0, 500), "cut.npy");
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cut.npy: data is truncated"));
  }
  EXPECT_THROW(lagm::io::parse_npy("not numpy at all", "x.npy"), lagm::InputError);
  EXPECT_THROW(lagm::io::parse_npy(bytes.substr(0, 12), "x.npy"), lagm::InputError);
}

// Found by fuzzing (fuzz/regressions/): an empty array (shape (0, 3)) copied zero bytes from a null
// pointer, undefined behaviour under UBSan; it reads as an empty tensor.
TEST(Npy, EmptyArrayFromFuzzingReadsAsAnEmptyTensor) {
  const auto t = lagm::io::read_npy(std::string(LAGM_SOURCE_DIR) +
                                    "/fuzz/regressions/npy/empty_array_with_trailing_bytes.npy");
  EXPECT_EQ(t.sizes(), torch::IntArrayRef({0, 3}));
  EXPECT_EQ(t.scalar_type(), torch::kFloat32);
}

// lagm's MAT v5/v7 reader against files SciPy writes (compressed and not): every array kind, its
// dimensions, column-major values, names, struct fields and cells; and refusals that name the file.
#include "lagm/data/mat_v5_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "test_support.h"

namespace lagm::data {
namespace {

namespace fs = std::filesystem;

class MatV5Reader : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = lagm::test::fresh_temp_dir("mat_v5_reader");
    ASSERT_EQ(lagm::test::run_python_file("mat_v5_arrays", {dir_.string()}), 0);
    std::ifstream in(dir_ / "expected.json");
    in >> expected_;
  }
  static const MatArray& find(const std::vector<MatArray>& vars, const std::string& name) {
    for (const auto& v : vars)
      if (v.name == name) return v;
    throw std::runtime_error("no variable " + name);
  }
  static fs::path dir_;
  static nlohmann::json expected_;
};
fs::path MatV5Reader::dir_;
nlohmann::json MatV5Reader::expected_;

TEST_F(MatV5Reader, NumericArraysKeepDimensionsAndColumnMajorValues) {
  for (const char* file : {"arrays_0.mat", "arrays_1.mat"}) {
    const auto vars = read_mat_v5_file((dir_ / file).string());
    for (const auto& [name, want] : expected_.items()) {
      const MatArray& a = find(vars, name);
      EXPECT_EQ(a.kind, MatClass::kNumeric) << file << " " << name;
      EXPECT_EQ(a.dims, want.at("dims").get<std::vector<size_t>>()) << file << " " << name;
      EXPECT_EQ(a.values, want.at("values").get<std::vector<double>>()) << file << " " << name;
    }
    EXPECT_TRUE(find(vars, "flags").is_logical) << file;
    EXPECT_FALSE(find(vars, "bytes").is_logical) << file;
  }
}

TEST_F(MatV5Reader, TextStructsAndCells) {
  for (const char* file : {"arrays_0.mat", "arrays_1.mat"}) {
    const auto vars = read_mat_v5_file((dir_ / file).string());
    const MatArray& word = find(vars, "word");
    ASSERT_EQ(word.kind, MatClass::kChar);
    EXPECT_EQ(std::string(word.values.begin(), word.values.end()), "horse");

    const MatArray& st = find(vars, "st");
    ASSERT_EQ(st.kind, MatClass::kStruct);
    EXPECT_EQ(st.dims, (std::vector<size_t>{1, 2}));
    EXPECT_EQ(st.field_names, (std::vector<std::string>{"name", "value"}));
    ASSERT_NE(st.field("value", 0), nullptr);
    EXPECT_EQ(st.field("value", 0)->values, (std::vector<double>{1.5, -2.0}));
    const MatArray* second = st.field("name", 1);
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(std::string(second->values.begin(), second->values.end()), "second");
    EXPECT_EQ(st.field("value", 1)->count(), 0u);  // [] is an empty array
    EXPECT_EQ(st.field("value", 2), nullptr);      // past the array
    EXPECT_EQ(st.field("missing", 0), nullptr);

    const MatArray& cell = find(vars, "cell");
    ASSERT_EQ(cell.kind, MatClass::kCell);
    ASSERT_EQ(cell.children.size(), 2u);
    EXPECT_EQ(cell.children[0].kind, MatClass::kChar);
    EXPECT_EQ(cell.children[1].values, (std::vector<double>{7, 8, 9}));
  }
}

TEST_F(MatV5Reader, RefusalsNameTheFileAndTheProblem) {
  const std::string good = core::read_file((dir_ / "arrays_1.mat").string());
  auto refused = [&](std::string bytes, const std::string& name, const std::string& reason) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    try {
      read_mat_v5_file(path);
      ADD_FAILURE() << name << " was read";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path + ": " + reason), std::string::npos) << e.what();
    }
  };
  refused(good.substr(0, 100), "short.mat", "not a MAT file");
  std::string v73 = good;
  v73[124] = 0x00, v73[125] = 0x02;
  refused(v73, "v73.mat", "a MAT v7.3 (HDF5) file");
  std::string no_marker = good;
  no_marker[126] = 'X';
  refused(no_marker, "marker.mat", "not a MAT v5 or v7 file");
  // Every truncation inside the first variable is a refusal, never a crash or a partial read
  // (its compressed element: an 8-byte tag, then the size it declares).
  uint32_t first_size = 0;
  std::memcpy(&first_size, good.data() + 132, 4);
  const size_t first_end = std::min(good.size(), size_t{136} + first_size);
  ASSERT_GT(first_end, size_t{200});
  for (size_t cut = 129; cut < first_end; cut += 7)
    refused(good.substr(0, cut), "cut.mat", "corrupt or unsupported MAT file");
  // A declared element size beyond the file.
  std::string huge = good;
  huge[128 + 4] = huge[128 + 5] = huge[128 + 6] = static_cast<char>(0xff);
  refused(huge, "huge.mat", "corrupt or unsupported MAT file");
}

TEST_F(MatV5Reader, CompressedDataIsReadUpToItsBudgetAndRefusedBeyond) {
  const auto vars = read_mat_v5_file((dir_ / "inflates_56mb.mat").string());
  ASSERT_EQ(vars.size(), 1u);
  EXPECT_EQ(vars[0].dims, (std::vector<size_t>{7000, 1000}));
  const std::string big = (dir_ / "inflates_72mb.mat").string();
  try {
    read_mat_v5_file(big);
    FAIL() << "a file inflating to 72 MB was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(big + ": corrupt or unsupported MAT file (compressed data "
                                               "expands beyond 64 MB)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lagm::data

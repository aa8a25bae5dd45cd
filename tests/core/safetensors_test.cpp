#include "lagm/core/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "lagm/core/error.h"

using lagm::core::parse_safetensors;
using lagm::core::serialize_safetensors;
using lagm::core::TensorDict;
using ::testing::HasSubstr;

namespace {

// Builds a file from a raw JSON header and data, as an attacker or a buggy writer would.
std::string make_file(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + json + data;
}

std::string error_of(const std::string& bytes) {
  try {
    parse_safetensors(bytes, "bad.safetensors");
  } catch (const lagm::InputError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST(Safetensors, RoundTripsEveryDtypeAndMetadata) {
  TensorDict dict;
  torch::manual_seed(0);
  dict.set("f32", torch::randn({2, 3}));
  dict.set("f64", torch::randn({4}, torch::kFloat64));
  dict.set("f16", torch::randn({3, 1}).to(torch::kFloat16));
  dict.set("bf16", torch::randn({5}).to(torch::kBFloat16));
  dict.set("i64", torch::arange(6, torch::kInt64).view({2, 3}));
  dict.set("i32", torch::arange(3, torch::kInt32));
  dict.set("i16", torch::arange(3, torch::kInt16));
  dict.set("i8", torch::arange(-3, 3, torch::kInt8));
  dict.set("u8", torch::arange(250, 256, torch::kInt32).to(torch::kUInt8));
  dict.set("bool", torch::tensor({true, false, true}));
  dict.set("scalar", torch::tensor(3.5f));
  dict.set("empty", torch::empty({0, 4}));
  const std::map<std::string, std::string> meta = {{"lagm", "{\"kind\": \"test\"}"},
                                                   {"format", "pt"}};
  const auto file = parse_safetensors(serialize_safetensors(dict, meta), "mem");
  EXPECT_EQ(file.metadata, meta);
  ASSERT_EQ(file.tensors.size(), dict.size());
  for (const auto& [name, t] : dict.items()) {
    const auto& r = file.tensors.at(name);
    EXPECT_EQ(r.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(r.sizes(), t.sizes()) << name;
    EXPECT_TRUE(torch::equal(r, t)) << name;
  }
}

TEST(Safetensors, HeaderIsPaddedToEightBytes) {
  TensorDict dict;
  dict.set("a", torch::ones({3}));
  const auto bytes = serialize_safetensors(dict);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + n + 12);
}

TEST(Safetensors, WritesAtomicallyAndReadsBack) {
  const auto dir = std::filesystem::temp_directory_path() / "lagm_st_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "x.safetensors").string();
  TensorDict dict;
  dict.set("w", torch::arange(10, torch::kFloat32));
  lagm::core::write_safetensors(path, dict);
  const auto file = lagm::core::read_safetensors(path);
  EXPECT_TRUE(torch::equal(file.tensors.at("w"), dict.at("w")));
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos)
        << "temp file left behind";
  const auto header = lagm::core::read_safetensors_header(path);
  ASSERT_EQ(header.entries.size(), 1u);
  EXPECT_EQ(header.entries[0].dtype, "F32");
  EXPECT_EQ(header.entries[0].shape, std::vector<int64_t>{10});
}

TEST(Safetensors, RejectsFileShorterThanLengthField) {
  EXPECT_THAT(error_of("abc"), HasSubstr("too short"));
}

TEST(Safetensors, RejectsHeaderLengthBeyondFile) {
  std::string bytes = make_file("{}", "");
  bytes[0] = 100;  // claims 100 header bytes, has 2
  EXPECT_THAT(error_of(bytes), HasSubstr("exceeds the file size"));
}

TEST(Safetensors, RejectsHugeHeaderLengthWithoutAllocating) {
  std::string bytes(16, '\0');
  bytes[7] = 0x7f;  // ~9e18 bytes
  EXPECT_THAT(error_of(bytes), HasSubstr("100 MB"));
}

TEST(Safetensors, RejectsMalformedJson) {
  EXPECT_THAT(error_of(make_file("{\"a\": ", "")), HasSubstr("not well-formed JSON"));
  EXPECT_THAT(error_of(make_file("[1, 2]", "")), HasSubstr("not a JSON object"));
}

TEST(Safetensors, RejectsOffsetsOutOfBounds) {
  auto bytes = make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234");
  EXPECT_THAT(error_of(bytes), HasSubstr("beyond the data section"));
}

TEST(Safetensors, RejectsShapeByteCountMismatch) {
  auto bytes = make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678");
  EXPECT_THAT(error_of(bytes), HasSubstr("byte range of 8, expected 12"));
}

TEST(Safetensors, RejectsOverlappingTensors) {
  auto bytes = make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                         "123456");
  EXPECT_THAT(error_of(bytes), HasSubstr("overlaps"));
}

TEST(Safetensors, RejectsGapsAndTrailingBytes) {
  auto gap = make_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})", "1234");
  EXPECT_THAT(error_of(gap), HasSubstr("gap in the data section"));
  auto trailing = make_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", "1234");
  EXPECT_THAT(error_of(trailing), HasSubstr("trailing bytes"));
}

TEST(Safetensors, RejectsUnknownDtypeAndBadFields) {
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}})", "1")),
              HasSubstr("unsupported dtype 'F7'"));
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", "1")),
              HasSubstr("not a non-negative integer"));
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}})", "1")),
              HasSubstr("end before begin"));
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"U8","shape":[1]}})", "1")),
              HasSubstr("data_offsets"));
  EXPECT_THAT(
      error_of(make_file(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}})", "1")),
      HasSubstr("unknown field 'x'"));
  EXPECT_THAT(error_of(make_file(R"({"__metadata__":{"k":1}})", "")), HasSubstr("not a string"));
}

TEST(Safetensors, RejectsShapeWhoseByteCountOverflows) {
  auto bytes =
      make_file(R"({"a":{"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})",
                "12345678");
  EXPECT_THAT(error_of(bytes), HasSubstr("too large"));
}

TEST(Safetensors, ErrorNamesTheFile) {
  try {
    lagm::core::read_safetensors("/nonexistent/model.safetensors");
    FAIL() << "no error";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/model.safetensors: cannot open"));
  }
}

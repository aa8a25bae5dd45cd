// The native pickle reader against pickles Python itself wrote (every protocol from 2, torch
// tensors, numpy arrays, legacy torch files), and against hostile and broken input: refused
// globals, truncation at every point, huge declared sizes, deep nesting, cycles and value bombs,
// each refused with an InputError that names the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <random>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/io/pickle/read.h"
#include "lagm/models/pickled_values.h"
#include "test_support.h"

using ::testing::HasSubstr;
namespace pk = lagm::io::pickle;

namespace {

std::string pickle_cases(const std::string& what, const std::string& out) {
  EXPECT_EQ(lagm::test::run_python_file("pickle_cases", {what, out}), 0);
  return out;
}

/// The InputError message parse_pickle gives for `bytes` ("" when it reads them).
std::string refusal(const std::string& bytes) {
  try {
    pk::parse_pickle(bytes, "x.pkl");
  } catch (const lagm::InputError& e) {
    return e.what();
  }
  return "";
}

void expect_same_tensor(const torch::Tensor& got, const torch::Tensor& want,
                        const std::string& name) {
  EXPECT_EQ(got.scalar_type(), want.scalar_type()) << name;
  EXPECT_EQ(got.sizes(), want.sizes()) << name;
  EXPECT_TRUE(torch::equal(got.contiguous(), want)) << name;
}

}  // namespace

TEST(Pickle, ReadsPythonsValuesTensorsAndArraysAtEveryProtocol) {
  const auto dir = pickle_cases("values", lagm::test::fresh_temp_dir("pickle").string());
  const auto expected = nlohmann::json::parse(lagm::core::read_file(dir + "/expected.json"));
  const auto tensors = lagm::core::read_safetensors(dir + "/expected.safetensors").tensors;
  for (int protocol = 2; protocol <= 5; ++protocol) {
    SCOPED_TRACE("protocol " + std::to_string(protocol));
    const auto root = pk::read_pickle_file(dir + "/values_p" + std::to_string(protocol) + ".pkl");
    ASSERT_TRUE(root->is(pk::Kind::kDict));
    for (const auto& [key, value] : expected.items()) {
      ASSERT_TRUE(root->find(key)) << key;
      EXPECT_EQ(lagm::models::pickled_json(*root->find(key), key), value) << key;
    }
    EXPECT_EQ(root->find("bytes")->text, std::string("\x00\x01\xff", 3));
    EXPECT_EQ(root->find("set")->items.at(0)->integer, 3);
    EXPECT_EQ(root->find("frozenset")->items.at(0)->integer, 4);
    const auto shared = root->find("shared");
    EXPECT_EQ(shared->items.at(0), shared->items.at(1)) << "the memo shares one value";
    for (const char* group : {"tensors", "arrays"})
      for (const auto& [k, v] : root->find(group)->entries)
        expect_same_tensor(v->tensor, tensors.at(k->text), k->text);
  }
}

TEST(Pickle, ReadsALegacyTorchFile) {
  const auto dir = pickle_cases("legacy", lagm::test::fresh_temp_dir("legacy").string());
  const auto root = pk::read_pickle_file(dir + "/legacy.pt");
  const auto want = lagm::core::read_safetensors(dir + "/legacy.safetensors").tensors;
  ASSERT_EQ(root->entries.size(), want.size());
  for (const auto& [k, v] : root->entries) expect_same_tensor(v->tensor, want.at(k->text), k->text);
}

TEST(Pickle, RefusesEveryGlobalOutsideTheAllowList) {
  for (const std::string global : {"os\nsystem", "builtins\neval", "builtins\ngetattr",
                                   "torch.serialization\nload", "numpy\nload", "subprocess\nrun"}) {
    const auto bytes =
        "\x80\x02"
        "c" +
        global + "\n)R.";
    auto dotted = global;
    dotted[dotted.find('\n')] = '.';
    EXPECT_THAT(refusal(bytes), HasSubstr("x.pkl: refuses global " + dotted));
  }
}

TEST(Pickle, NeverRunsAHostilePickle) {
  const auto dir = lagm::test::fresh_temp_dir("evil").string();
  ASSERT_EQ(lagm::test::run_python_file("checkpoint_reference",
                                        {"evil-pickle", dir + "/evil.pkl", dir + "/pwned"}),
            0);
  EXPECT_THROW(pk::read_pickle_file(dir + "/evil.pkl"), lagm::InputError);
  EXPECT_FALSE(std::ifstream(dir + "/pwned").good());
}

// Every prefix of a real pickle and of a legacy torch file, and random byte changes of one, is
// read or refused with an InputError: never another exception, a crash or a hang.
TEST(Pickle, TruncatedAndCorruptedFilesAreRefusedCleanly) {
  const auto dir = lagm::test::fresh_temp_dir("cut").string();
  pickle_cases("values", dir);
  pickle_cases("legacy", dir);
  for (const char* name : {"/values_p2.pkl", "/values_p4.pkl", "/legacy.pt"}) {
    const auto bytes = lagm::core::read_file(dir + name);
    for (size_t n = 0; n < bytes.size(); n += 1 + n / 64)
      EXPECT_THAT(refusal(bytes.substr(0, n)), HasSubstr("x.pkl: ")) << name << " cut at " << n;
  }
  const auto bytes = lagm::core::read_file(dir + "/values_p4.pkl");
  std::mt19937 rng(0);
  for (int trial = 0; trial < 300; ++trial) {
    auto broken = bytes;
    for (int k = 0; k < 4; ++k) broken[rng() % broken.size()] = static_cast<char>(rng());
    try {
      pk::parse_pickle(broken, "x.pkl");
    } catch (const lagm::InputError&) {
    }
  }
}

TEST(Pickle, HugeDeclaredSizesAreRefusedBeforeAnyAllocation) {
  EXPECT_THAT(refusal(std::string("\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x3f.", 12)),
              HasSubstr("truncated pickle"));
  EXPECT_THAT(refusal(std::string("\x80\x02\x8b\xff\xff\xff\x7f.", 8)), HasSubstr("truncated"));
  const auto dir = lagm::test::fresh_temp_dir("huge").string();
  pickle_cases("broadcast", dir + "/broadcast.pkl");
  EXPECT_THAT(refusal(lagm::core::read_file(dir + "/broadcast.pkl")),
              HasSubstr("a tensor would take 8589934588 bytes"));
}

TEST(Pickle, DeepNestingCyclesAndValueBombsAreRefused) {
  std::string deep = "\x80\x02";
  for (int i = 0; i < 100000; ++i) deep += "]";
  for (int i = 0; i < 99999; ++i) deep += "a";
  EXPECT_THAT(refusal(deep + "."), HasSubstr("nested more than 256 deep"));
  EXPECT_THAT(refusal(std::string("\x80\x02]q\x00h\x00"
                                  "a.",
                                  9)),
              HasSubstr("a value contains itself"));
  // [l] then l.append([l]): a cycle through a value already used.
  EXPECT_THAT(refusal(std::string("\x80\x02]q\x00]h\x00"
                                  "aa.",
                                  11)),
              HasSubstr("a value changes after it was used"));
  EXPECT_THAT(refusal("\x80\x02N" + std::string(2000000, '2') + "."),
              HasSubstr("more than 1048576 pickled values"));
  EXPECT_THAT(refusal(std::string("\x80\x02h\x05.", 5)),
              HasSubstr("memo entry 5 was never stored"));
  EXPECT_THAT(refusal("\x80\x02"
                      "a."),
              HasSubstr("stack underflow"));
  EXPECT_THAT(refusal("PK\x03\x04rest"), HasSubstr("zip-format torch file"));
  EXPECT_THAT(refusal("\x80\x06."), HasSubstr("pickle protocol 6"));
  EXPECT_THAT(refusal("\x80\x02i\n"), HasSubstr("opcode 0x69 is not read"));
}

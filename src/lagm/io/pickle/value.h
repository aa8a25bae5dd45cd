// The plain values a restricted unpickler builds: no Python object is ever created, no code runs.
// Containers hold shared pointers because a pickle's memo shares values. A container is sealed
// when it becomes an element or an argument of another value and cannot change afterwards, so
// the values form a graph without cycles whose depth is known when it is built.
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lagm::io::pickle {

enum class Kind {
  kNone,
  kBool,
  kInt,
  kLargeInt,  ///< an integer beyond 64 bits: its little-endian two's-complement bytes in `text`
  kFloat,
  kString,
  kBytes,
  kList,
  kTuple,
  kSet,
  kDict,
  kTensor,   ///< a torch tensor or a numpy array
  kStorage,  ///< a torch storage: a 1-D tensor of its element type
  kObject,   ///< an instance of an allowed class: `text` its class, `state` what BUILD gave it
  kGlobal,   ///< an allowed class or function: `text` is "module.name"
};

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string text;
  std::vector<ValuePtr> items;                         ///< list, tuple, set; object arguments
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  ///< dict, in insertion order
  ValuePtr state;
  torch::Tensor tensor;
  int depth = 1;
  bool sealed = false;

  bool is(Kind k) const { return kind == k; }
  bool is_sequence() const { return kind == Kind::kList || kind == Kind::kTuple; }
  /// The entry of string key `key` of a dict, or nullptr when it has none.
  ValuePtr find(const std::string& key) const;
  /// "dict of 5", "tensor [512, 512] float32", "EasyDict object", for messages.
  std::string describe() const;
};

std::string kind_name(Kind kind);

ValuePtr make_none();
ValuePtr make_bool(bool value);
ValuePtr make_int(int64_t value);
ValuePtr make_float(double value);
ValuePtr make_string(std::string text);
ValuePtr make_bytes(std::string bytes);
ValuePtr make_container(Kind kind);
ValuePtr make_tensor(torch::Tensor tensor);
ValuePtr make_object(std::string class_name);

}  // namespace lagm::io::pickle

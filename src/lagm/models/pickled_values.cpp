#include "lagm/models/pickled_values.h"

#include <unordered_set>

#include "lagm/core/error.h"

namespace lagm::models {
namespace {

namespace pk = io::pickle;

// A shared value is converted once per use; this bounds what a pickle that shares one value many
// times over can make the conversion build.
constexpr int64_t kMaxJsonNodes = 100000;

nlohmann::json to_json(const pk::Value& v, const std::string& where, int64_t& nodes) {
  if (++nodes > kMaxJsonNodes) throw InputError(where + ": more than 100000 values");
  switch (v.kind) {
    case pk::Kind::kNone:
      return nullptr;
    case pk::Kind::kBool:
      return v.boolean;
    case pk::Kind::kInt:
      return v.integer;
    case pk::Kind::kFloat:
      return v.number;
    case pk::Kind::kString:
      return v.text;
    case pk::Kind::kList:
    case pk::Kind::kTuple: {
      auto a = nlohmann::json::array();
      for (const auto& item : v.items) a.push_back(to_json(*item, where, nodes));
      return a;
    }
    case pk::Kind::kDict: {
      auto o = nlohmann::json::object();
      for (const auto& [k, x] : v.entries) {
        if (!k->is(pk::Kind::kString)) throw InputError(where + " has a non-string key");
        o[k->text] = to_json(*x, where + "." + k->text, nodes);
      }
      return o;
    }
    default:
      throw InputError(where + " is a " + v.describe() + ", not a plain value");
  }
}

void collect_tensors(const pk::Value& v, std::unordered_set<const pk::Value*>& seen) {
  if (!seen.insert(&v).second) return;
  for (const auto& item : v.items) collect_tensors(*item, seen);
  for (const auto& [k, x] : v.entries) collect_tensors(*x, seen);
  if (v.state) collect_tensors(*v.state, seen);
}

}  // namespace

nlohmann::json pickled_json(const pk::Value& value, const std::string& where) {
  int64_t nodes = 0;
  return to_json(value, where, nodes);
}

torch::Tensor pickled_float_tensor(const pk::ValuePtr& value, const std::string& where) {
  if (!value || !value->is(pk::Kind::kTensor))
    throw InputError(where + " is " + (value ? "a " + value->describe() : "missing") +
                     ", not a tensor");
  if (!value->tensor.is_floating_point()) throw InputError(where + " is not a float tensor");
  // One copy, contiguous and float32, owning its memory apart from the pickle's storage.
  return torch::empty(value->tensor.sizes(), torch::kFloat32).copy_(value->tensor);
}

int64_t count_tensors(const pk::Value& value) {
  std::unordered_set<const pk::Value*> seen;
  collect_tensors(value, seen);
  int64_t n = 0;
  for (const auto* v : seen) n += v->is(pk::Kind::kTensor) ? 1 : 0;
  return n;
}

}  // namespace lagm::models

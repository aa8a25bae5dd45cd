#include "lagm/io/pickle/torch_values.h"

#include <cstring>
#include <map>
#include <set>

#include "lagm/core/error.h"
#include "lagm/io/pickle/machine.h"

namespace lagm::io::pickle {
namespace {

// The magic number torch.save writes first, as the little-endian bytes of its LONG1 opcode.
constexpr std::string_view kLegacyMagic =
    "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
constexpr int64_t kLegacyProtocol = 1001;
constexpr size_t kMaxDims = 16;

const std::map<std::string, torch::Dtype>& storage_dtypes() {
  static const std::map<std::string, torch::Dtype> types = {
      {"FloatStorage", torch::kFloat32}, {"DoubleStorage", torch::kFloat64},
      {"HalfStorage", torch::kFloat16},  {"BFloat16Storage", torch::kBFloat16},
      {"LongStorage", torch::kInt64},    {"IntStorage", torch::kInt32},
      {"ShortStorage", torch::kInt16},   {"CharStorage", torch::kInt8},
      {"ByteStorage", torch::kUInt8},    {"BoolStorage", torch::kBool}};
  return types;
}

int64_t to_int(const ValuePtr& v, const std::string& what, Budget& budget) {
  if (!v->is(Kind::kInt)) budget.fail(what + " is a " + v->describe() + ", not an integer");
  return v->integer;
}

std::vector<int64_t> to_ints(const ValuePtr& v, const std::string& what, Budget& budget) {
  if (!v->is_sequence() || v->items.size() > kMaxDims)
    budget.fail(what + " is not a tuple of at most " + std::to_string(kMaxDims) + " integers");
  std::vector<int64_t> out;
  for (const auto& item : v->items) {
    const auto x = to_int(item, what, budget);
    if (x < 0 || x > (int64_t{1} << 40)) budget.fail(what + " holds " + std::to_string(x));
    out.push_back(x);
  }
  return out;
}

/// A view of `storage` after checking that every element it reaches lies inside it.
ValuePtr rebuild_tensor(const std::vector<ValuePtr>& args, Budget& budget) {
  if (args.size() < 4 || !args[0]->is(Kind::kStorage))
    budget.fail("_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
  const auto& storage = args[0]->tensor;
  const auto offset = to_int(args[1], "a tensor's storage offset", budget);
  const auto size = to_ints(args[2], "a tensor's size", budget);
  const auto stride = to_ints(args[3], "a tensor's stride", budget);
  if (size.size() != stride.size()) budget.fail("a tensor's size and stride differ in length");
  // The last element a view reaches, computed so that no product can overflow: each step is
  // checked against the room left in the storage first.
  const int64_t n = storage.numel();
  const auto past = [&] {
    budget.fail("a tensor of size " + format_shape(size) + " reaches past its storage of " +
                std::to_string(n) + " elements");
  };
  if (offset < 0 || offset > n) past();
  int64_t numel = 1, last = offset;
  for (size_t i = 0; i < size.size(); ++i) {
    if (size[i] != 0 && numel > (int64_t{1} << 40) / size[i])
      budget.fail("a tensor of size " + format_shape(size) + " is too large");
    numel *= size[i];
    if (size[i] > 1 && stride[i] > 0) {
      if (size[i] - 1 > (n - last) / stride[i]) past();
      last += (size[i] - 1) * stride[i];
    }
  }
  if (numel > 0 && last >= n) past();
  // A view costs nothing until it is copied; one that repeats elements (stride 0) can be far
  // larger than its storage, so what it adds is charged.
  budget.charge_bytes(std::max<int64_t>(0, numel - storage.numel()) * storage.element_size(),
                      "a tensor");
  return make_tensor(storage.as_strided(size, stride, offset));
}

ValuePtr tensor_of_parameter(const std::vector<ValuePtr>& args, Budget& budget) {
  if (args.empty() || !args[0]->is(Kind::kTensor)) budget.fail("_rebuild_parameter needs a tensor");
  return args[0];
}

ValuePtr load_from_bytes(const std::vector<ValuePtr>& args, Budget& budget) {
  if (args.size() != 1 || !args[0]->is(Kind::kBytes))
    budget.fail("_load_from_bytes needs one bytes argument");
  budget.enter_nested();
  auto v = load_legacy_torch_file(args[0]->text, network_globals(), budget);
  budget.leave_nested();
  if (!v->is(Kind::kStorage)) budget.fail("_load_from_bytes gave a " + v->describe());
  return v;
}

/// The storages of one legacy file, by key, as its persistent ids declare them.
class LegacyStorages {
 public:
  LegacyStorages(int64_t file_size, Budget& budget) : file_size_(file_size), budget_(budget) {}

  ValuePtr declare(const ValuePtr& id) {
    const auto& f = id->items;
    if (!id->is(Kind::kTuple) || f.size() != 6 || !f[0]->is(Kind::kString) ||
        f[0]->text != "storage")
      budget_.fail("a persistent id that is not ('storage', type, key, location, size, view)");
    if (!f[5]->is(Kind::kNone)) budget_.fail("a storage view (torch before 0.4) is not read");
    if (!f[1]->is(Kind::kGlobal) || !f[2]->is(Kind::kString))
      budget_.fail("a storage id without its type or key");
    const auto type = f[1]->text.substr(f[1]->text.rfind('.') + 1);
    auto dtype = storage_dtypes().find(type);
    if (dtype == storage_dtypes().end()) budget_.fail("storage type " + f[1]->text);
    auto known = storages_.find(f[2]->text);
    if (known != storages_.end()) return known->second;
    const auto numel = to_int(f[4], "a storage's size", budget_);
    const auto bytes = numel * static_cast<int64_t>(c10::elementSize(dtype->second));
    if (numel < 0 || numel > file_size_ || bytes > file_size_ - claimed_)
      budget_.fail("a storage of " + std::to_string(numel) + " elements is larger than the file");
    claimed_ += bytes;
    budget_.charge_bytes(bytes, "a storage");
    auto v = make_container(Kind::kStorage);
    v->tensor = torch::empty({numel}, torch::TensorOptions().dtype(dtype->second));
    storages_.emplace(f[2]->text, v);
    return v;
  }

  /// Fills each storage from the records after the pickles: per key, its size, then its bytes.
  void fill(const ValuePtr& keys, std::string_view data, size_t pos) {
    if (!keys->is(Kind::kList)) budget_.fail("the storage key list is a " + keys->describe());
    for (const auto& key : keys->items) {
      auto it = key->is(Kind::kString) ? storages_.find(key->text) : storages_.end();
      if (it == storages_.end()) budget_.fail("storage data for a key no tensor uses");
      auto& t = it->second->tensor;
      const auto nbytes = static_cast<size_t>(t.numel()) * t.element_size();
      if (data.size() - pos < 8 + nbytes) budget_.fail("truncated storage data");
      int64_t numel;
      std::memcpy(&numel, data.data() + pos, 8);
      if (numel != t.numel()) budget_.fail("storage data of another size than declared");
      if (nbytes) std::memcpy(t.data_ptr(), data.data() + pos + 8, nbytes);
      pos += 8 + nbytes;
      filled_.insert(key->text);
    }
    if (filled_.size() != storages_.size()) budget_.fail("a storage without its data");
  }

 private:
  int64_t file_size_, claimed_ = 0;
  Budget& budget_;
  std::map<std::string, ValuePtr> storages_;
  std::set<std::string> filled_;
};

void require_sys_info(const ValuePtr& info, Budget& budget) {
  const auto little = info->is(Kind::kDict) ? info->find("little_endian") : nullptr;
  if (!little || !little->is(Kind::kBool) || !little->boolean)
    budget.fail("a torch file from a big-endian machine (not read)");
}

}  // namespace

bool is_legacy_torch_file(std::string_view bytes) {
  return bytes.substr(0, kLegacyMagic.size()) == kLegacyMagic;
}

ValuePtr load_legacy_torch_file(std::string_view bytes, const Globals& globals, Budget& budget) {
  if (!is_legacy_torch_file(bytes)) budget.fail("not a torch file (no torch.save magic number)");
  size_t pos = 0;
  run_pickle(bytes, pos, globals, budget, &pos);  // the magic number, checked above
  const auto protocol = run_pickle(bytes, pos, globals, budget, &pos);
  if (!protocol->is(Kind::kInt) || protocol->integer != kLegacyProtocol)
    budget.fail("torch file protocol other than 1001");
  require_sys_info(run_pickle(bytes, pos, globals, budget, &pos), budget);
  LegacyStorages storages(static_cast<int64_t>(bytes.size()), budget);
  Globals with_storages = globals;
  with_storages.persistent_load = [&](const ValuePtr& id, Budget&) { return storages.declare(id); };
  auto value = run_pickle(bytes, pos, with_storages, budget, &pos);
  const auto keys = run_pickle(bytes, pos, globals, budget, &pos);
  storages.fill(keys, bytes, pos);
  return value;
}

void add_torch_globals(Globals& globals) {
  auto& f = globals.functions;
  f["torch._utils._rebuild_tensor_v2"] = rebuild_tensor;
  f["torch._utils._rebuild_tensor"] = rebuild_tensor;
  f["torch._utils._rebuild_parameter"] = tensor_of_parameter;
  f["torch._utils._rebuild_parameter_with_state"] = tensor_of_parameter;
  f["torch.storage._load_from_bytes"] = load_from_bytes;
  for (const auto& [name, dtype] : storage_dtypes())
    f["torch." + name] = [name = name](const std::vector<ValuePtr>&, Budget& budget) -> ValuePtr {
      budget.fail("torch." + name + " is only a storage's type here");
    };
}

}  // namespace lagm::io::pickle

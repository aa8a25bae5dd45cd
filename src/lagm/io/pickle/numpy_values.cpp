#include "lagm/io/pickle/numpy_values.h"

#include <cstring>

#include "lagm/core/error.h"

namespace lagm::io::pickle {
namespace {

struct NumpyType {
  torch::Dtype dtype;
  int64_t size;
};

NumpyType numpy_type(const std::string& code, Budget& budget) {
  static const std::map<std::string, NumpyType> types = {
      {"f2", {torch::kFloat16, 2}}, {"f4", {torch::kFloat32, 4}}, {"f8", {torch::kFloat64, 8}},
      {"i1", {torch::kInt8, 1}},    {"i2", {torch::kInt16, 2}},   {"i4", {torch::kInt32, 4}},
      {"i8", {torch::kInt64, 8}},   {"u1", {torch::kUInt8, 1}},   {"b1", {torch::kBool, 1}}};
  auto it = types.find(code);
  if (it == types.end()) budget.fail("numpy dtype '" + code + "' is not read");
  return it->second;
}

/// A dtype object: items[0] its code ("f4"), items[1] its byte order ("<", ">", "|").
ValuePtr make_dtype(const std::vector<ValuePtr>& args, Budget& budget) {
  if (args.empty() || !args[0]->is(Kind::kString)) budget.fail("numpy.dtype needs a type code");
  numpy_type(args[0]->text, budget);
  auto d = make_object("numpy.dtype");
  d->items = {make_string(args[0]->text), make_string("|")};
  return d;
}

void build_dtype(Value& dtype, const ValuePtr& state, Budget& budget) {
  if (!state->is(Kind::kTuple) || state->items.size() < 2 || !state->items[1]->is(Kind::kString))
    budget.fail("a numpy dtype's state is not (version, byte order, ...)");
  dtype.items[1] = make_string(state->items[1]->text);
}

NumpyType dtype_of(const ValuePtr& v, bool* big_endian, Budget& budget) {
  if (!v->is(Kind::kObject) || v->text != "numpy.dtype" || v->items.size() != 2)
    budget.fail("a numpy array's dtype is a " + v->describe());
  *big_endian = v->items[1]->text == ">";
  return numpy_type(v->items[0]->text, budget);
}

/// Reverses the byte order of each `size`-byte element.
void swap_bytes(std::string& data, int64_t size) {
  for (size_t i = 0; i + static_cast<size_t>(size) <= data.size(); i += static_cast<size_t>(size))
    std::reverse(data.begin() + static_cast<long>(i), data.begin() + static_cast<long>(i + size));
}

ValuePtr reconstruct(const std::vector<ValuePtr>& args, Budget& budget) {
  if (args.empty() || !args[0]->is(Kind::kGlobal) ||
      args[0]->text.find("ndarray") == std::string::npos)
    budget.fail("numpy _reconstruct of something other than an ndarray");
  return make_object("numpy.ndarray");
}

std::vector<int64_t> array_shape(const ValuePtr& shape, Budget& budget) {
  if (!shape->is(Kind::kTuple)) budget.fail("a numpy array's shape is a " + shape->describe());
  std::vector<int64_t> out;
  int64_t numel = 1;
  for (const auto& d : shape->items) {
    if (!d->is(Kind::kInt) || d->integer < 0 || d->integer > (int64_t{1} << 40) ||
        (d->integer > 0 && numel > (int64_t{1} << 40) / d->integer))
      budget.fail("a numpy array's shape is not a tuple of sizes");
    numel *= d->integer;
    out.push_back(d->integer);
  }
  return out;
}

/// An array of `shape` from its raw bytes, C or Fortran order, either byte order.
torch::Tensor array_from_bytes(std::string data, const ValuePtr& dtype,
                               const std::vector<int64_t>& shape, bool fortran, Budget& budget) {
  bool big_endian = false;
  const auto type = dtype_of(dtype, &big_endian, budget);
  int64_t numel = 1;
  for (const auto d : shape) numel *= d;
  if (static_cast<int64_t>(data.size()) != numel * type.size)
    budget.fail("a numpy array of shape " + format_shape(shape) + " with " +
                std::to_string(data.size()) + " bytes of data");
  budget.charge_bytes(static_cast<int64_t>(data.size()), "a numpy array");
  if (big_endian) swap_bytes(data, type.size);
  std::vector<int64_t> stored(shape);
  if (fortran) std::reverse(stored.begin(), stored.end());
  auto t = torch::empty(stored, torch::TensorOptions().dtype(type.dtype));
  if (!data.empty()) std::memcpy(t.data_ptr(), data.data(), data.size());
  if (!fortran) return t;
  std::vector<int64_t> order(shape.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(order.size() - 1 - i);
  return t.permute(order).contiguous();
}

bool is_raw(const ValuePtr& v) { return v->is(Kind::kBytes) || v->is(Kind::kString); }

/// BUILD of an ndarray: (version, shape, dtype, is_fortran, raw bytes) makes it a tensor.
void build_array(Value& array, const ValuePtr& state, Budget& budget) {
  const auto& s = state->items;
  if (!state->is(Kind::kTuple) || s.size() != 5 || !s[3]->is(Kind::kBool) || !is_raw(s[4]))
    budget.fail("a numpy array's state is not (version, shape, dtype, fortran, bytes)");
  array.tensor =
      array_from_bytes(s[4]->text, s[2], array_shape(s[1], budget), s[3]->boolean, budget);
  array.kind = Kind::kTensor;
  array.text.clear();
}

/// Protocol 5's `_frombuffer(buffer, dtype, shape, order)`, the buffer in band.
ValuePtr from_buffer(const std::vector<ValuePtr>& args, Budget& budget) {
  if (args.size() != 4 || !is_raw(args[0]) || !args[3]->is(Kind::kString) ||
      (args[3]->text != "C" && args[3]->text != "F"))
    budget.fail("numpy _frombuffer other than (bytes, dtype, shape, 'C' or 'F')");
  return make_tensor(array_from_bytes(args[0]->text, args[1], array_shape(args[2], budget),
                                      args[3]->text == "F", budget));
}

ValuePtr scalar(const std::vector<ValuePtr>& args, Budget& budget) {
  if (args.size() != 2 || !(args[1]->is(Kind::kBytes) || args[1]->is(Kind::kString)))
    budget.fail("numpy scalar needs (dtype, bytes)");
  bool big_endian = false;
  const auto type = dtype_of(args[0], &big_endian, budget);
  std::string data = args[1]->text;
  if (static_cast<int64_t>(data.size()) != type.size) budget.fail("a numpy scalar of wrong size");
  if (big_endian) swap_bytes(data, type.size);
  auto t = torch::empty({}, torch::TensorOptions().dtype(type.dtype));
  std::memcpy(t.data_ptr(), data.data(), data.size());
  if (t.is_floating_point()) return make_float(t.to(torch::kFloat64).item<double>());
  if (type.dtype == torch::kBool) return make_bool(t.item<bool>());
  return make_int(t.to(torch::kInt64).item<int64_t>());
}

/// _codecs.encode(text, 'latin1'): each code point below 256 becomes one byte.
ValuePtr encode_latin1(const std::vector<ValuePtr>& args, Budget& budget) {
  if (args.size() != 2 || !args[0]->is(Kind::kString) || !args[1]->is(Kind::kString) ||
      (args[1]->text != "latin1" && args[1]->text != "latin-1"))
    budget.fail("_codecs.encode other than (text, 'latin1')");
  const auto& in = args[0]->text;
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<uint8_t>(in[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xE0) == 0xC0 && i + 1 < in.size() && c <= 0xC3) {
      out.push_back(static_cast<char>(((c & 0x1F) << 6) | (static_cast<uint8_t>(in[++i]) & 0x3F)));
    } else {
      budget.fail("_codecs.encode of text beyond latin-1");
    }
  }
  budget.charge_bytes(static_cast<int64_t>(out.size()), "encoded bytes");
  return make_bytes(std::move(out));
}

ValuePtr refuse_call(const std::vector<ValuePtr>&, Budget& budget) {
  budget.fail("numpy.ndarray is only an argument of _reconstruct here");
}

}  // namespace

void add_numpy_globals(Globals& globals) {
  for (const std::string module : {"numpy.core.multiarray", "numpy._core.multiarray"}) {
    globals.functions[module + "._reconstruct"] = reconstruct;
    globals.functions[module + ".scalar"] = scalar;
  }
  for (const std::string module : {"numpy.core.numeric", "numpy._core.numeric"})
    globals.functions[module + "._frombuffer"] = from_buffer;
  globals.functions["numpy.ndarray"] = refuse_call;
  globals.functions["numpy.dtype"] = make_dtype;
  globals.functions["_codecs.encode"] = encode_latin1;
  globals.builders["numpy.dtype"] = build_dtype;
  globals.builders["numpy.ndarray"] = build_array;
}

}  // namespace lagm::io::pickle

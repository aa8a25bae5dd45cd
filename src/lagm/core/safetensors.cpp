#include "lagm/core/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"

namespace lagm::core {
namespace {

static_assert(sizeof(void*) == 8, "lagm assumes a 64-bit little-endian host");

// The reference implementation refuses headers above 100 MB; a header larger than that is an attack
// or corruption, and refusing it bounds the one allocation made before validation.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct DtypeInfo {
  const char* name;
  torch::Dtype dtype;
  int64_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {"F64", torch::kFloat64, 8},   {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& info : kDtypes)
    if (name == info.name) return &info;
  return nullptr;
}

uint64_t read_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

[[noreturn]] void fail(const std::string& source, const std::string& problem) {
  throw InputError(source + ": " + problem);
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& value,
                             const std::string& source) {
  const std::string where = "tensor '" + name + "'";
  if (!value.is_object()) fail(source, where + " is not a JSON object");
  for (auto it = value.begin(); it != value.end(); ++it)
    if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
      fail(source, where + " has unknown field '" + it.key() + "'");
  SafetensorsEntry e;
  e.name = name;
  if (!value.contains("dtype") || !value["dtype"].is_string())
    fail(source, where + " has no string 'dtype'");
  e.dtype = value["dtype"].get<std::string>();
  const DtypeInfo* info = find_dtype(e.dtype);
  if (!info) fail(source, where + " has unsupported dtype '" + e.dtype + "'");
  if (!value.contains("shape") || !value["shape"].is_array())
    fail(source, where + " has no 'shape' array");
  // Element count with overflow checks: a shape may not claim more than 2^62 bytes.
  uint64_t numel = 1;
  for (const auto& d : value["shape"]) {
    if (!d.is_number_unsigned())
      fail(source, where + " has a shape entry that is not a non-negative integer");
    uint64_t dim = d.get<uint64_t>();
    if (dim > (1ull << 62) || (dim != 0 && numel > (1ull << 62) / dim))
      fail(source, where + " has a shape too large to exist");
    numel *= dim;
    e.shape.push_back(static_cast<int64_t>(dim));
  }
  if (!value.contains("data_offsets") || !value["data_offsets"].is_array() ||
      value["data_offsets"].size() != 2 || !value["data_offsets"][0].is_number_unsigned() ||
      !value["data_offsets"][1].is_number_unsigned())
    fail(source, where + " needs 'data_offsets' [begin, end] of non-negative integers");
  e.begin = value["data_offsets"][0].get<uint64_t>();
  e.end = value["data_offsets"][1].get<uint64_t>();
  if (e.end < e.begin) fail(source, where + " has data_offsets end before begin");
  const uint64_t bytes = numel * static_cast<uint64_t>(info->size);
  if (e.end - e.begin != bytes)
    fail(source, format_mismatch(where + " (" + e.dtype + " " + format_shape(e.shape) + ")",
                                 "a byte range of", std::to_string(e.end - e.begin),
                                 std::to_string(bytes)));
  return e;
}

}  // namespace

std::string safetensors_dtype_name(torch::Dtype dtype) {
  for (const auto& info : kDtypes)
    if (info.dtype == dtype) return info.name;
  throw Error(std::string("safetensors cannot store dtype ") + c10::toString(dtype));
}

int64_t safetensors_dtype_size(const std::string& name) {
  const DtypeInfo* info = find_dtype(name);
  return info ? info->size : 0;
}

SafetensorsHeader parse_safetensors_header(const std::string& header_json, uint64_t file_size,
                                           const std::string& source) {
  if (file_size < 8 || header_json.size() > file_size - 8)
    fail(source, "header length exceeds the file size");
  const uint64_t data_size = file_size - 8 - header_json.size();
  nlohmann::json header = nlohmann::json::parse(header_json, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) fail(source, "header is not well-formed JSON");
  if (!header.is_object()) fail(source, "header is not a JSON object");

  SafetensorsHeader out;
  out.data_offset = 8 + header_json.size();
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) fail(source, "__metadata__ is not a JSON object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          fail(source, "__metadata__ value '" + m.key() + "' is not a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    out.entries.push_back(parse_entry(it.key(), it.value(), source));
  }
  std::sort(out.entries.begin(), out.entries.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  // The data section must be covered exactly: no gaps, no overlaps, nothing past the end.
  uint64_t expected_begin = 0;
  for (const auto& e : out.entries) {
    if (e.end > data_size)
      fail(source, "tensor '" + e.name + "' ends at byte " + std::to_string(e.end) +
                       " beyond the data section of " + std::to_string(data_size) + " bytes");
    if (e.begin < expected_begin)
      fail(source, "tensor '" + e.name + "' overlaps the previous tensor");
    if (e.begin > expected_begin)
      fail(source, "gap in the data section before tensor '" + e.name + "' (bytes " +
                       std::to_string(expected_begin) + ".." + std::to_string(e.begin) + ")");
    expected_begin = e.end;
  }
  if (expected_begin != data_size)
    fail(source, "data section has " + std::to_string(data_size - expected_begin) +
                     " trailing bytes not covered by any tensor");
  return out;
}

namespace {

// Reads the 8-byte length and the JSON header from a stream of known size.
std::string read_header_json(std::istream& in, uint64_t file_size, const std::string& source) {
  if (file_size < 8)
    fail(source,
         "file is " + std::to_string(file_size) + " bytes, too short for a safetensors header");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  if (!in) fail(source, "cannot read header length");
  const uint64_t n = read_u64_le(len_bytes);
  if (n > kMaxHeaderBytes)
    fail(source, "header length " + std::to_string(n) + " exceeds the 100 MB limit");
  if (n > file_size - 8)
    fail(source, "header length " + std::to_string(n) + " exceeds the file size " +
                     std::to_string(file_size));
  std::string json(n, '\0');
  in.read(json.data(), static_cast<std::streamsize>(n));
  if (!in) fail(source, "cannot read header");
  return json;
}

SafetensorsFile read_tensors(std::istream& in, uint64_t file_size, const std::string& source) {
  const std::string json = read_header_json(in, file_size, source);
  SafetensorsHeader header = parse_safetensors_header(json, file_size, source);
  SafetensorsFile file;
  file.tensors.source = source;
  file.metadata = header.metadata;
  // Entries are contiguous and sorted, so the data can be streamed straight into each tensor;
  // every allocation is bounded by the (already checked) file size.
  for (const auto& e : header.entries) {
    auto tensor = torch::empty(e.shape, torch::TensorOptions().dtype(find_dtype(e.dtype)->dtype));
    if (e.end > e.begin) {
      in.read(static_cast<char*>(tensor.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
      if (!in) fail(source, "truncated while reading tensor '" + e.name + "'");
    }
    file.tensors.set(e.name, tensor);
  }
  return file;
}

}  // namespace

SafetensorsHeader read_safetensors_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw InputError(path + ": cannot open for reading");
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  return parse_safetensors_header(read_header_json(in, size, path), size, path);
}

SafetensorsFile read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw InputError(path + ": cannot open for reading");
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  return read_tensors(in, size, path);
}

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& source) {
  std::istringstream in(bytes);
  return read_tensors(in, bytes.size(), source);
}

std::string serialize_safetensors(const TensorDict& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = meta;
  }
  std::vector<torch::Tensor> cpu;
  cpu.reserve(tensors.size());
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors.items()) {
    if (name == "__metadata__") throw Error("a tensor may not be called __metadata__");
    auto c = t.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = static_cast<uint64_t>(c.numel()) * c.element_size();
    header[name] = {{"dtype", safetensors_dtype_name(c.scalar_type())},
                    {"shape", c.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    cpu.push_back(c);
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8,
              ' ');  // keep the data 8-byte aligned, as the reference does
  std::string out(8, '\0');
  const uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out.reserve(8 + json.size() + offset);
  out += json;
  for (const auto& c : cpu)
    out.append(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  return out;
}

void write_safetensors(const std::string& path, const TensorDict& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, serialize_safetensors(tensors, metadata));
}

std::string metadata_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace lagm::core

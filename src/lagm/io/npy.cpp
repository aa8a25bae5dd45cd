#include "lagm/io/npy.h"

#include <cstring>
#include <regex>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"

namespace lagm::io {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& problem) {
  throw InputError(source + ": " + problem);
}

struct NpyType {
  torch::Dtype dtype;
  int64_t size;
  bool unsigned_wide;  // u2/u4/u8: read raw, widen to int64
};

NpyType parse_descr(const std::string& descr, const std::string& source) {
  if (descr.size() < 3) fail(source, "unsupported dtype '" + descr + "'");
  const char order = descr[0];
  const std::string kind = descr.substr(1);
  if (order == '>') fail(source, "big-endian arrays are not supported (dtype '" + descr + "')");
  if (order != '<' && order != '|' && order != '=')
    fail(source, "unsupported dtype '" + descr + "'");
  if (kind == "b1") return {torch::kBool, 1, false};
  if (kind == "u1") return {torch::kUInt8, 1, false};
  if (kind == "i1") return {torch::kInt8, 1, false};
  if (kind == "i2") return {torch::kInt16, 2, false};
  if (kind == "i4") return {torch::kInt32, 4, false};
  if (kind == "i8") return {torch::kInt64, 8, false};
  if (kind == "u2") return {torch::kInt64, 2, true};
  if (kind == "u4") return {torch::kInt64, 4, true};
  if (kind == "u8") return {torch::kInt64, 8, true};
  if (kind == "f2") return {torch::kFloat16, 2, false};
  if (kind == "f4") return {torch::kFloat32, 4, false};
  if (kind == "f8") return {torch::kFloat64, 8, false};
  fail(source, "unsupported dtype '" + descr + "'");
}

}  // namespace

torch::Tensor parse_npy(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    fail(source, "not a .npy file (bad magic)");
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len =
        static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(source, "truncated header");
    header_len = 0;
    for (int i = 3; i >= 0; --i)
      header_len = (header_len << 8) | static_cast<uint8_t>(bytes[8 + i]);
    header_start = 12;
  } else {
    fail(source, "unsupported .npy version " + std::to_string(major));
  }
  if (header_start + header_len > bytes.size()) fail(source, "header length exceeds the file size");
  const std::string header = bytes.substr(header_start, header_len);

  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')")))
    fail(source, "header has no 'descr'");
  const NpyType type = parse_descr(m[1], source);
  if (!std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*(True|False))")))
    fail(source, "header has no 'fortran_order'");
  if (m[1] == "True") fail(source, "Fortran-order arrays are not supported");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    fail(source, "header has no 'shape'");
  std::vector<int64_t> shape;
  const std::string dims = m[1];
  const std::regex digits_re(R"(\d+)");
  std::sregex_iterator it(dims.begin(), dims.end(), digits_re), end;
  uint64_t numel = 1;
  for (; it != end; ++it) {
    const std::string digits = it->str();
    if (digits.size() > 12) fail(source, "shape entry too large");
    const uint64_t d = std::stoull(digits);
    if (d != 0 && numel > (1ull << 40) / d) fail(source, "shape too large");
    numel *= d;
    shape.push_back(static_cast<int64_t>(d));
  }
  const size_t data_start = header_start + header_len;
  const uint64_t data_bytes = numel * static_cast<uint64_t>(type.size);
  if (bytes.size() - data_start < data_bytes)
    fail(source, "data is truncated: " + std::to_string(bytes.size() - data_start) + " bytes for " +
                     format_shape(shape) + " of " + std::to_string(type.size) + "-byte elements");
  const char* data = bytes.data() + data_start;
  if (!type.unsigned_wide) {
    auto out = torch::empty(shape, torch::TensorOptions().dtype(type.dtype));
    if (data_bytes > 0)
      std::memcpy(out.data_ptr(), data, data_bytes);  // an empty tensor's pointer may be null
    return out;
  }
  auto out = torch::empty(shape, torch::kInt64);
  int64_t* dst = out.data_ptr<int64_t>();
  for (uint64_t i = 0; i < numel; ++i) {
    uint64_t v = 0;
    std::memcpy(&v, data + i * type.size, type.size);
    if (v > static_cast<uint64_t>(INT64_MAX)) fail(source, "unsigned value too large for int64");
    dst[i] = static_cast<int64_t>(v);
  }
  return out;
}

torch::Tensor read_npy(const std::string& path) { return parse_npy(core::read_file(path), path); }

std::string npy_bytes(const torch::Tensor& tensor) {
  const auto t = tensor.to(torch::kCPU).contiguous();
  std::string descr;
  switch (t.scalar_type()) {
    case torch::kUInt8:
      descr = "|u1";
      break;
    case torch::kInt64:
      descr = "<i8";
      break;
    case torch::kHalf:
      descr = "<f2";
      break;
    case torch::kFloat:
      descr = "<f4";
      break;
    case torch::kDouble:
      descr = "<f8";
      break;
    default:
      throw Error("npy_bytes: unsupported dtype " + std::string(c10::toString(t.scalar_type())));
  }
  std::string shape;  // "2, 3", or "4," for one dimension (a Python tuple)
  for (int64_t i = 0; i < t.dim(); ++i) shape += (i ? ", " : "") + std::to_string(t.size(i));
  if (t.dim() == 1) shape += ",";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // The magic, version and length take 10 bytes; the header is padded with spaces so that the
  // data start on a multiple of 64 bytes, and ends with a newline.
  const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header += std::string(total - 10 - header.size() - 1, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>((header.size() >> 8) & 0xFF);
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

void write_npy(const std::string& path, const torch::Tensor& tensor) {
  core::write_file_atomic(path, npy_bytes(tensor));
}

}  // namespace lagm::io

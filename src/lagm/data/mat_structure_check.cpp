#include "lagm/data/mat_structure_check.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"

namespace lagm::data {
namespace {

// Data types and array classes of the MAT v5 format.
enum : uint32_t {
  kMiInt8 = 1,
  kMiUInt8,
  kMiInt16,
  kMiUInt16,
  kMiInt32,
  kMiUInt32,
  kMiSingle,
  kMiDouble = 9,
  kMiInt64 = 12,
  kMiUInt64,
  kMiMatrix,
  kMiCompressed,
  kMiUtf8,
  kMiUtf16,
  kMiUtf32
};
enum : uint32_t { kMxCell = 1, kMxStruct = 2, kMxChar = 4, kMxDouble = 6, kMxUInt64 = 15 };

constexpr int kMaxDepth = 32;
constexpr uint32_t kMaxFieldNameLength = 4096;

// Bytes per stored element; 0 for a type that cannot hold array data.
size_t stored_size(uint32_t type) {
  switch (type) {
    case kMiInt8:
    case kMiUInt8:
    case kMiUtf8:
      return 1;
    case kMiInt16:
    case kMiUInt16:
    case kMiUtf16:
      return 2;
    case kMiInt32:
    case kMiUInt32:
    case kMiSingle:
    case kMiUtf32:
      return 4;
    case kMiDouble:
    case kMiInt64:
    case kMiUInt64:
      return 8;
    default:
      return 0;
  }
}

// A span of bytes being consumed element by element.
struct Cursor {
  const uint8_t* p;
  size_t n;
};

struct Element {
  uint32_t type = 0;
  size_t size = 0;  // payload bytes
  const uint8_t* data = nullptr;
};

class StructureChecker {
 public:
  StructureChecker(std::string path, bool swap) : path_(std::move(path)), swap_(swap) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(path_ + ": corrupt or unsupported MAT file (" + what + ")");
  }

  // A sequence of variables: the file after its header, or the inside of a compressed element.
  void variables(Cursor c, int depth) {
    while (c.n > 0) {
      const Element e = next(c, "variable", /*padded=*/true);
      if (e.type == kMiCompressed) {
        inflate_and_check(e, depth);
      } else if (e.type == kMiMatrix) {
        matrix(Cursor{e.data, e.size}, depth);
      } else {
        fail("a variable of data type " + std::to_string(e.type));
      }
    }
  }

 private:
  uint32_t u32(const uint8_t* p) const {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return swap_ ? __builtin_bswap32(v) : v;
  }

  // The element at the cursor (a full tag or the 8-byte small-element form), then the cursor moves
  // past it and its padding to 8 bytes (compressed elements are not padded).
  Element next(Cursor& c, const std::string& what, bool padded) {
    if (c.n < 8) fail(what + ": truncated element tag");
    const uint32_t first = u32(c.p);
    Element e;
    if (first >> 16) {  // small data element: type and size share the first word, data the second
      e.type = first & 0xffff;
      e.size = first >> 16;
      e.data = c.p + 4;
      if (e.size > 4) fail(what + ": a small element of " + std::to_string(e.size) + " bytes");
      c.p += 8, c.n -= 8;
      return e;
    }
    e.type = first;
    e.size = u32(c.p + 4);
    e.data = c.p + 8;
    if (e.size > c.n - 8)
      fail(what + ": " + std::to_string(e.size) + " bytes declared, " + std::to_string(c.n - 8) +
           " left");
    size_t used = 8 + e.size;
    if (padded && e.type != kMiCompressed) used = std::min(c.n, (used + 7) & ~size_t{7});
    c.p += used, c.n -= used;
    return e;
  }

  void matrix(Cursor c, int depth) {
    if (depth > kMaxDepth) fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (c.n == 0) return;  // an empty matrix, e.g. [] in a struct field
    const Element flags = next(c, "array flags", true);
    if (flags.type != kMiUInt32 || flags.size != 8) fail("array flags are not two uint32");
    const uint32_t array_class = u32(flags.data) & 0xff;
    const bool complex = (u32(flags.data) & 0x800) != 0;
    const Element dims = next(c, "dimensions", true);
    if (dims.type != kMiInt32 || dims.size < 8 || dims.size % 4 != 0)
      fail("dimensions are not int32 x >= 2");
    size_t count = 1;
    for (size_t i = 0; i < dims.size / 4; ++i) {
      const auto d = static_cast<int32_t>(u32(dims.data + 4 * i));
      if (d < 0 || __builtin_mul_overflow(count, static_cast<size_t>(d), &count))
        fail("a negative or huge dimension");
    }
    const Element name = next(c, "array name", true);
    if (name.type != kMiInt8) fail("an array name that is not int8");
    if (array_class == kMxCell) {
      children(c, count, depth);
    } else if (array_class == kMxStruct) {
      const Element length = next(c, "field name length", true);
      if (length.type != kMiInt32 || length.size != 4)
        fail("a field name length that is not one int32");
      const uint32_t field_length = u32(length.data);
      if (field_length == 0 || field_length > kMaxFieldNameLength)
        fail("a field name length of " + std::to_string(field_length));
      const Element names = next(c, "field names", true);
      if (names.type != kMiInt8 || names.size % field_length != 0)
        fail("field names that do not fill their length");
      size_t total = 0;
      if (__builtin_mul_overflow(count, names.size / field_length, &total))
        fail("a huge struct array");
      children(c, total, depth);
    } else if (array_class >= kMxChar && array_class <= kMxUInt64 && array_class != 5) {
      numeric_data(c, count, "real part");
      if (complex) numeric_data(c, count, "imaginary part");
    } else {
      fail("array class " + std::to_string(array_class) +
           " (only numeric, logical, char, cell and struct are read)");
    }
  }

  // Cells or struct fields: `count` matrices, each at least an 8-byte tag.
  void children(Cursor& c, size_t count, int depth) {
    if (count > c.n / 8)
      fail(std::to_string(count) + " cells or fields declared in " + std::to_string(c.n) +
           " bytes");
    for (size_t i = 0; i < count; ++i) {
      const Element e = next(c, "cell or field", true);
      if (e.type != kMiMatrix) fail("a cell or field that is not a matrix");
      matrix(Cursor{e.data, e.size}, depth + 1);
    }
  }

  void numeric_data(Cursor& c, size_t count, const std::string& what) {
    const Element e = next(c, what, true);
    const size_t size = stored_size(e.type);
    if (size == 0) fail(what + " of data type " + std::to_string(e.type));
    if (e.type != kMiUtf8 && count > e.size / size)  // UTF-8 characters have no fixed width
      fail(what + ": " + std::to_string(count) + " elements declared, data for " +
           std::to_string(e.size / size));
  }

  void inflate_and_check(const Element& e, int depth) {
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) fail("zlib could not start");
    zs.next_in = const_cast<Bytef*>(e.data);
    zs.avail_in = static_cast<uInt>(e.size);
    std::vector<uint8_t> out;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      const size_t have = out.size();
      const size_t grow = std::max<size_t>(4096, std::min<size_t>(have, size_t{16} << 20));
      if (inflated_ + have > kMaxInflatedBytes) {
        inflateEnd(&zs);
        fail("compressed data expands beyond " + std::to_string(kMaxInflatedBytes >> 20) + " MB");
      }
      out.resize(have + grow);
      zs.next_out = out.data() + have;
      zs.avail_out = static_cast<uInt>(grow);
      rc = inflate(&zs, Z_NO_FLUSH);
      out.resize(have + grow - zs.avail_out);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&zs);
        fail("a compressed element is corrupt or truncated");
      }
      if (rc == Z_OK && zs.avail_in == 0 &&
          zs.avail_out != 0) {  // input ended before the stream did
        inflateEnd(&zs);
        fail("a compressed element is truncated");
      }
    }
    inflateEnd(&zs);
    inflated_ += out.size();
    if (inflated_ > kMaxInflatedBytes)
      fail("compressed data expands beyond " + std::to_string(kMaxInflatedBytes >> 20) + " MB");
    variables(Cursor{out.data(), out.size()}, depth + 1);
  }

  std::string path_;
  bool swap_;
  size_t inflated_ = 0;
};

}  // namespace

void check_mat_v5_structure(const std::string& path) {
  const std::string bytes = core::read_file(path);
  constexpr size_t kHeader = 128;
  if (bytes.size() < kHeader)
    throw InputError(path + ": not a MAT file (shorter than the 128-byte header)");
  const char* endian = bytes.data() + 126;
  bool swap = false;
  if (endian[0] == 'I' && endian[1] == 'M') {
    swap = false;  // written little-endian (this reader assumes a little-endian host, as matio's
                   // x86 builds)
  } else if (endian[0] == 'M' && endian[1] == 'I') {
    swap = true;
  } else {
    throw InputError(path + ": not a MAT v5, v7 or v7.3 file (no endian marker in the header)");
  }
  uint16_t version;
  std::memcpy(&version, bytes.data() + 124, 2);
  if (swap) version = __builtin_bswap16(version);
  if (version == 0x0200)
    return;  // v7.3: an HDF5 file after the header, read (and checked) by libhdf5
  if (version != 0x0100)
    throw InputError(path + ": MAT file version " + std::to_string(version) + " is unknown");
  StructureChecker checker(path, swap);
  checker.variables(
      Cursor{reinterpret_cast<const uint8_t*>(bytes.data()) + kHeader, bytes.size() - kHeader}, 0);
}

}  // namespace lagm::data

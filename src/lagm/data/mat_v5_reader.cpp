#include "lagm/data/mat_v5_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"

namespace lagm::data {
namespace {

// Data types (mi*) and array classes (mx*) of the MAT v5 format.
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
enum : uint32_t {
  kMxCell = 1,
  kMxStruct = 2,
  kMxObject = 3,
  kMxChar = 4,
  kMxSparse = 5,
  kMxDouble = 6,
  kMxUInt64 = 15
};
constexpr uint32_t kFlagComplex = 0x800, kFlagLogical = 0x200;

constexpr int kMaxDepth = 32;
constexpr uint32_t kMaxFieldNameLength = 4096;
constexpr size_t kHeaderBytes = 128;

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

// A span of bytes consumed element by element.
struct Cursor {
  const uint8_t* p;
  size_t n;
};

struct Element {
  uint32_t type = 0;
  size_t size = 0;  // payload bytes
  const uint8_t* data = nullptr;
};

class Parser {
 public:
  Parser(std::string path, bool swap) : path_(std::move(path)), swap_(swap) {}

  // A sequence of variables: the file after its header, or the inside of a compressed element.
  void variables(Cursor c, int depth, std::vector<MatArray>& out) {
    while (c.n > 0) {
      const Element e = next(c, "variable");
      if (e.type == kMiCompressed) {
        const std::vector<uint8_t> inflated = inflate_element(e);
        variables(Cursor{inflated.data(), inflated.size()}, depth + 1, out);
      } else if (e.type == kMiMatrix) {
        out.push_back(matrix(Cursor{e.data, e.size}, depth));
      } else {
        fail("a variable of data type " + std::to_string(e.type));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(path_ + ": corrupt or unsupported MAT file (" + what + ")");
  }

  template <typename T>
  T load(const uint8_t* p) const {
    T v;
    std::memcpy(&v, p, sizeof v);
    if (swap_) {
      uint8_t b[sizeof v];
      std::memcpy(b, &v, sizeof v);
      std::reverse(b, b + sizeof v);
      std::memcpy(&v, b, sizeof v);
    }
    return v;
  }
  uint32_t u32(const uint8_t* p) const { return load<uint32_t>(p); }

  // The element at the cursor (a full tag or the 8-byte small-element form); the cursor moves past
  // it and its padding to 8 bytes (compressed elements are not padded).
  Element next(Cursor& c, const std::string& what) {
    if (c.n < 8) fail(what + ": truncated element tag");
    const uint32_t first = u32(c.p);
    Element e;
    if (first >> 16) {  // small element: type and size share the first word, data the second
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
    if (e.type != kMiCompressed) used = std::min(c.n, (used + 7) & ~size_t{7});
    c.p += used, c.n -= used;
    return e;
  }

  MatArray matrix(Cursor c, int depth) {
    if (depth > kMaxDepth) fail("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (++arrays_ > kMaxMatArrays) fail("more than " + std::to_string(kMaxMatArrays) + " arrays");
    MatArray a;
    if (c.n == 0) {  // an empty matrix, e.g. [] in a struct field
      a.dims = {0, 0};
      return a;
    }
    const Element flags = next(c, "array flags");
    if (flags.type != kMiUInt32 || flags.size != 8) fail("array flags are not two uint32");
    const uint32_t flag_word = u32(flags.data), array_class = flag_word & 0xff;
    a.is_complex = (flag_word & kFlagComplex) != 0;
    a.is_logical = (flag_word & kFlagLogical) != 0;
    const Element dims = next(c, "dimensions");
    if (dims.type != kMiInt32 || dims.size < 8 || dims.size % 4 != 0)
      fail("dimensions are not int32 x >= 2");
    size_t count = 1;
    for (size_t i = 0; i < dims.size / 4; ++i) {
      const auto d = load<int32_t>(dims.data + 4 * i);
      if (d < 0 || __builtin_mul_overflow(count, static_cast<size_t>(d), &count))
        fail("a negative or huge dimension");
      a.dims.push_back(static_cast<size_t>(d));
    }
    const Element name = next(c, "array name");
    if (name.type != kMiInt8 && name.type != kMiUInt8) fail("an array name that is not int8");
    a.name.assign(reinterpret_cast<const char*>(name.data), name.size);
    if (array_class == kMxCell) {
      a.kind = MatClass::kCell;
      children(c, count, depth, a);
    } else if (array_class == kMxStruct) {
      a.kind = MatClass::kStruct;
      struct_fields(c, count, depth, a);
    } else if (array_class == kMxChar) {
      a.kind = MatClass::kChar;
      a.values = numeric_data(c, count, "characters");
    } else if (array_class > kMxSparse && array_class <= kMxUInt64) {
      a.values = numeric_data(c, count, "real part");
      if (a.is_complex) numeric_element(c, count, "imaginary part");  // checked, not kept
    } else if (array_class == kMxSparse || array_class == kMxObject) {
      fail(std::string(array_class == kMxSparse ? "a sparse" : "an object") +
           " array (only numeric, logical, char, cell and struct are read)");
    } else {
      fail("array class " + std::to_string(array_class) +
           " (only numeric, logical, char, cell and struct are read)");
    }
    return a;
  }

  void struct_fields(Cursor& c, size_t count, int depth, MatArray& a) {
    const Element length = next(c, "field name length");
    if (length.type != kMiInt32 || length.size != 4)
      fail("a field name length that is not one int32");
    const uint32_t field_length = u32(length.data);
    if (field_length == 0 || field_length > kMaxFieldNameLength)
      fail("a field name length of " + std::to_string(field_length));
    const Element names = next(c, "field names");
    if ((names.type != kMiInt8 && names.type != kMiUInt8) || names.size % field_length != 0)
      fail("field names that do not fill their length");
    const size_t fields = names.size / field_length;
    for (size_t f = 0; f < fields; ++f) {
      const char* s = reinterpret_cast<const char*>(names.data) + f * field_length;
      a.field_names.emplace_back(s, strnlen(s, field_length));
    }
    size_t total = 0;
    if (__builtin_mul_overflow(count, fields, &total)) fail("a huge struct array");
    children(c, total, depth, a);
  }

  // Cells or struct fields: `count` matrices, each at least an 8-byte tag.
  void children(Cursor& c, size_t count, int depth, MatArray& a) {
    if (count > c.n / 8)
      fail(std::to_string(count) + " cells or fields declared in " + std::to_string(c.n) +
           " bytes");
    if (count > kMaxMatArrays - arrays_)
      fail("more than " + std::to_string(kMaxMatArrays) + " arrays");
    a.children.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const Element e = next(c, "cell or field");
      if (e.type != kMiMatrix) fail("a cell or field that is not a matrix");
      a.children.push_back(matrix(Cursor{e.data, e.size}, depth + 1));
    }
  }

  // The element holding `count` values of any stored type, checked to hold them.
  Element numeric_element(Cursor& c, size_t count, const std::string& what) {
    const Element e = next(c, what);
    const size_t size = stored_size(e.type);
    if (size == 0) fail(what + " of data type " + std::to_string(e.type));
    if (count > e.size / size)
      fail(what + ": " + std::to_string(count) + " elements declared, data for " +
           std::to_string(e.size / size));
    return e;
  }

  // `count` values of any stored type (MATLAB stores e.g. a double array of small integers as
  // uint8); UTF-8 text is read as ASCII, one byte per character.
  std::vector<double> numeric_data(Cursor& c, size_t count, const std::string& what) {
    const Element e = numeric_element(c, count, what);
    const size_t size = stored_size(e.type);
    std::vector<double> v(count);
    const uint8_t* p = e.data;
    for (size_t i = 0; i < count; ++i, p += size) {
      switch (e.type) {
        case kMiInt8:
          v[i] = static_cast<int8_t>(*p);
          break;
        case kMiUInt8:
          v[i] = *p;
          break;
        case kMiUtf8:
          if (*p > 127) fail(what + ": UTF-8 text beyond ASCII");
          v[i] = *p;
          break;
        case kMiInt16:
          v[i] = load<int16_t>(p);
          break;
        case kMiUInt16:
        case kMiUtf16:
          v[i] = load<uint16_t>(p);
          break;
        case kMiInt32:
          v[i] = load<int32_t>(p);
          break;
        case kMiUInt32:
        case kMiUtf32:
          v[i] = load<uint32_t>(p);
          break;
        case kMiSingle:
          v[i] = load<float>(p);
          break;
        case kMiDouble:
          v[i] = load<double>(p);
          break;
        case kMiInt64:
          v[i] = static_cast<double>(load<int64_t>(p));
          break;
        default:  // kMiUInt64
          v[i] = static_cast<double>(load<uint64_t>(p));
      }
    }
    return v;
  }

  std::vector<uint8_t> inflate_element(const Element& e) {
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) fail("zlib could not start");
    zs.next_in = const_cast<Bytef*>(e.data);
    zs.avail_in = static_cast<uInt>(e.size);
    std::vector<uint8_t> out;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      const size_t have = out.size();
      if (inflated_ + have >= kMaxInflatedBytes) {  // the budget is spent and the stream goes on
        inflateEnd(&zs);
        fail("compressed data expands beyond " + std::to_string(kMaxInflatedBytes >> 20) + " MB");
      }
      // Grow geometrically (up to 16 MB at a time), never past what the budget leaves.
      const size_t grow = std::min(std::max<size_t>(4096, std::min<size_t>(have, size_t{16} << 20)),
                                   kMaxInflatedBytes - inflated_ - have);
      out.resize(have + grow);
      zs.next_out = out.data() + have;
      zs.avail_out = static_cast<uInt>(grow);
      rc = inflate(&zs, Z_NO_FLUSH);
      out.resize(have + grow - zs.avail_out);
      if ((rc != Z_OK && rc != Z_STREAM_END) ||
          (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)) {  // corrupt, or input ended
        inflateEnd(&zs);
        fail("a compressed element is corrupt or truncated");
      }
    }
    inflateEnd(&zs);
    inflated_ += out.size();
    return out;
  }

  std::string path_;
  bool swap_;
  size_t inflated_ = 0;
  size_t arrays_ = 0;
};

}  // namespace

size_t MatArray::count() const {
  size_t n = 1;
  for (size_t d : dims) n *= d;  // the parser refused dimensions whose product overflows
  return n;
}

const MatArray* MatArray::field(const std::string& field_name, size_t index) const {
  if (kind != MatClass::kStruct) return nullptr;
  const auto it = std::find(field_names.begin(), field_names.end(), field_name);
  if (it == field_names.end()) return nullptr;
  const size_t slot = index * field_names.size() + static_cast<size_t>(it - field_names.begin());
  return slot < children.size() ? &children[slot] : nullptr;
}

std::vector<MatArray> read_mat_v5_file(const std::string& path) {
  const std::string bytes = core::read_file(path);
  if (bytes.size() < kHeaderBytes)
    throw InputError(path + ": not a MAT file (shorter than the 128-byte header)");
  const char* endian = bytes.data() + 126;
  bool swap = false;
  if (endian[0] == 'I' && endian[1] == 'M') {
    swap = false;  // written little-endian, as this reader's hosts are
  } else if (endian[0] == 'M' && endian[1] == 'I') {
    swap = true;
  } else {
    throw InputError(path + ": not a MAT v5 or v7 file (no endian marker in the header)");
  }
  uint16_t version;
  std::memcpy(&version, bytes.data() + 124, 2);
  if (swap) version = __builtin_bswap16(version);
  if (version == 0x0200)
    throw InputError(path +
                     ": a MAT v7.3 (HDF5) file, which lagm does not read; save it in MATLAB with "
                     "save(..., '-v7') or with scipy.io.savemat");
  if (version != 0x0100)
    throw InputError(path + ": MAT file version " + std::to_string(version) + " is unknown");
  std::vector<MatArray> out;
  Parser(path, swap)
      .variables(Cursor{reinterpret_cast<const uint8_t*>(bytes.data()) + kHeaderBytes,
                        bytes.size() - kHeaderBytes},
                 0, out);
  return out;
}

}  // namespace lagm::data

#include "lagm/data/pascal_part_annotation.h"

#include <cmath>
#include <filesystem>

#include "lagm/core/error.h"
#include "lagm/data/mat_v5_reader.h"

namespace lagm::data {
namespace {

// Masks larger than this many pixels are refused (PASCAL images are at most 500 x 500).
constexpr size_t kMaxMaskPixels = size_t{1} << 28;

class AnnotationReader {
 public:
  explicit AnnotationReader(std::string path) : path_(std::move(path)) {}

  PartAnnotation read() const {
    if (!std::filesystem::exists(path_)) fail("no such file");
    const std::vector<MatArray> variables = read_mat_v5_file(path_);
    const MatArray* anno = nullptr;
    for (const auto& v : variables)
      if (v.name == "anno") anno = &v;
    if (!anno) fail("no variable 'anno' (not a PASCAL-Part annotation)");
    if (anno->kind != MatClass::kStruct || anno->count() != 1) fail("'anno' is not a 1x1 struct");

    PartAnnotation out;
    out.image_name = text(field(*anno, "imname", 0, "anno"), "anno.imname");
    const MatArray& objects = field(*anno, "objects", 0, "anno");
    if (objects.kind != MatClass::kStruct) fail("anno.objects is not a struct array");
    for (size_t i = 0; i < objects.count(); ++i) {
      const std::string where = "anno.objects(" + std::to_string(i + 1) + ")";
      PartObject obj;
      obj.class_name = text(field(objects, "class", i, where), where + ".class");
      obj.class_index =
          static_cast<int64_t>(scalar(field(objects, "class_ind", i, where), where + ".class_ind"));
      obj.silhouette = mask(field(objects, "mask", i, where), where + ".mask");
      // Silhouette-only classes store `parts` as an empty array of any class.
      const MatArray& parts = field(objects, "parts", i, where);
      if (parts.kind == MatClass::kStruct) {
        for (size_t p = 0; p < parts.count(); ++p) {
          const std::string pw = where + ".parts(" + std::to_string(p + 1) + ")";
          auto name = text(field(parts, "part_name", p, pw), pw + ".part_name");
          obj.parts.emplace_back(std::move(name), mask(field(parts, "mask", p, pw), pw + ".mask"));
        }
      } else if (parts.count() != 0) {
        fail(where + ".parts is neither a struct array nor empty");
      }
      out.objects.push_back(std::move(obj));
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw InputError(path_ + ": " + what); }

  const MatArray& field(const MatArray& strct, const char* name, size_t index,
                        const std::string& where) const {
    if (strct.kind != MatClass::kStruct || index >= strct.count()) fail(where + " is not a struct");
    const MatArray* f = strct.field(name, index);
    if (!f) fail(where + " has no field '" + name + "'");
    return *f;
  }

  std::string text(const MatArray& v, const std::string& field_name) const {
    if (v.kind != MatClass::kChar) fail("field '" + field_name + "' is not a character array");
    std::string out;
    out.reserve(v.values.size());
    for (double c : v.values) {
      if (c < 0 || c > 127) fail("field '" + field_name + "' is not ASCII");
      out.push_back(static_cast<char>(c));
    }
    return out;
  }

  double scalar(const MatArray& v, const std::string& field_name) const {
    if (v.kind != MatClass::kNumeric || v.count() != 1 || v.is_complex ||
        !std::isfinite(v.values[0]))
      fail("field '" + field_name + "' is not a finite real scalar");
    return v.values[0];
  }

  /// MATLAB stores column-major; the mask comes back row-major, nonzero -> 1.
  BinaryMask mask(const MatArray& v, const std::string& field_name) const {
    if (v.kind != MatClass::kNumeric || v.dims.size() != 2 || v.is_complex)
      fail("field '" + field_name + "' is not a 2-D numeric or logical mask");
    if (v.count() > kMaxMaskPixels) fail("field '" + field_name + "' is too large for a mask");
    BinaryMask m;
    m.height = static_cast<int64_t>(v.dims[0]);
    m.width = static_cast<int64_t>(v.dims[1]);
    m.pixels.assign(v.count(), 0);
    for (int64_t x = 0; x < m.width; ++x)
      for (int64_t y = 0; y < m.height; ++y)
        m.pixels[static_cast<size_t>(y * m.width + x)] =
            v.values[static_cast<size_t>(x * m.height + y)] != 0 ? 1 : 0;
    return m;
  }

  std::string path_;
};

}  // namespace

PartAnnotation read_pascal_part_annotation(const std::string& path) {
  return AnnotationReader(path).read();
}

}  // namespace lagm::data

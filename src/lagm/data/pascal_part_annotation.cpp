#include "lagm/data/pascal_part_annotation.h"

#include <cstring>
#include <filesystem>
#include <memory>

#include "lagm/core/error.h"
#include "lagm/data/mat_structure_check.h"

#if LAGM_HAVE_MATIO
#include <matio.h>

namespace lagm::data {
namespace {

// matio reports problems through a log callback; keep the last message for our error text instead
// of letting it print to stderr.
thread_local std::string g_matio_message;
void remember_matio_message(int /*level*/, char* message) {
  g_matio_message = message ? message : "";
}

struct MatFileCloser {
  void operator()(mat_t* f) const { Mat_Close(f); }
};
struct MatVarFreer {
  void operator()(matvar_t* v) const { Mat_VarFree(v); }
};

// Elements of a variable; SIZE_MAX when the dimensions of a corrupt file overflow.
size_t element_count(const matvar_t* v) {
  size_t n = 1;
  for (int d = 0; d < v->rank; ++d)
    if (__builtin_mul_overflow(n, v->dims[d], &n)) return SIZE_MAX;
  return n;
}

class AnnotationReader {
 public:
  explicit AnnotationReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what) const { throw InputError(path_ + ": " + what); }

  /// A corrupt file can leave a variable's data null or shorter than its dimensions say.
  void require_data(const matvar_t* v, size_t element_size, const std::string& field) const {
    const size_t n = element_count(v);
    size_t bytes = 0;
    if (n == SIZE_MAX || __builtin_mul_overflow(n, element_size, &bytes) ||
        (n > 0 && (!v->data || v->nbytes < bytes)))
      fail("field '" + field + "' holds less data than its dimensions say");
  }

  std::string text(matvar_t* v, const std::string& field) const {
    if (!v || v->class_type != MAT_C_CHAR) fail("field '" + field + "' is not a character array");
    if (v->data_size != 1 && v->data_size != 2 && v->data_size != 4)
      fail("field '" + field + "' has an unsupported character width");
    require_data(v, static_cast<size_t>(v->data_size), field);
    const size_t n = element_count(v);
    std::string out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      uint32_t c = 0;
      switch (v->data_size) {
        case 1:
          c = static_cast<const uint8_t*>(v->data)[i];
          break;
        case 2:
          c = static_cast<const uint16_t*>(v->data)[i];
          break;
        case 4:
          c = static_cast<const uint32_t*>(v->data)[i];
          break;
        default:
          fail("field '" + field + "' has an unsupported character width");
      }
      if (c > 127) fail("field '" + field + "' is not ASCII");
      out.push_back(static_cast<char>(c));
    }
    return out;
  }

  double scalar(matvar_t* v, const std::string& field) const {
    if (!v || element_count(v) != 1 || v->isComplex)
      fail("field '" + field + "' is not a real scalar");
    require_data(v, Mat_SizeOfClass(v->class_type), field);
    const void* d = v->data;
    switch (v->class_type) {
      case MAT_C_DOUBLE:
        return *static_cast<const double*>(d);
      case MAT_C_SINGLE:
        return *static_cast<const float*>(d);
      case MAT_C_INT8:
        return *static_cast<const int8_t*>(d);
      case MAT_C_UINT8:
        return *static_cast<const uint8_t*>(d);
      case MAT_C_INT16:
        return *static_cast<const int16_t*>(d);
      case MAT_C_UINT16:
        return *static_cast<const uint16_t*>(d);
      case MAT_C_INT32:
        return *static_cast<const int32_t*>(d);
      case MAT_C_UINT32:
        return *static_cast<const uint32_t*>(d);
      case MAT_C_INT64:
        return static_cast<double>(*static_cast<const int64_t*>(d));
      case MAT_C_UINT64:
        return static_cast<double>(*static_cast<const uint64_t*>(d));
      default:
        fail("field '" + field + "' is not numeric");
    }
  }

  /// MATLAB stores column-major; the mask comes back row-major, nonzero -> 1.
  BinaryMask mask(matvar_t* v, const std::string& field) const {
    if (!v || v->rank != 2 || v->isComplex) fail("field '" + field + "' is not a 2-D mask");
    require_data(v, Mat_SizeOfClass(v->class_type), field);
    if (element_count(v) > (size_t{1} << 28)) fail("field '" + field + "' is too large for a mask");
    BinaryMask m;
    m.height = static_cast<int64_t>(v->dims[0]);
    m.width = static_cast<int64_t>(v->dims[1]);
    m.pixels.assign(static_cast<size_t>(m.height * m.width), 0);
    auto nonzero = [&](size_t i) -> bool {
      switch (v->class_type) {
        case MAT_C_UINT8:
        case MAT_C_INT8:
          return static_cast<const uint8_t*>(v->data)[i] != 0;
        case MAT_C_UINT16:
        case MAT_C_INT16:
          return static_cast<const uint16_t*>(v->data)[i] != 0;
        case MAT_C_UINT32:
        case MAT_C_INT32:
          return static_cast<const uint32_t*>(v->data)[i] != 0;
        case MAT_C_UINT64:
        case MAT_C_INT64:
          return static_cast<const uint64_t*>(v->data)[i] != 0;
        case MAT_C_DOUBLE:
          return static_cast<const double*>(v->data)[i] != 0.0;
        case MAT_C_SINGLE:
          return static_cast<const float*>(v->data)[i] != 0.0f;
        default:
          fail("field '" + field + "' is not a numeric or logical mask");
      }
    };
    for (int64_t x = 0; x < m.width; ++x)
      for (int64_t y = 0; y < m.height; ++y)
        m.pixels[static_cast<size_t>(y * m.width + x)] =
            nonzero(static_cast<size_t>(x * m.height + y)) ? 1 : 0;
    return m;
  }

  matvar_t* field(matvar_t* strct, const char* name, size_t index, const std::string& where) const {
    // matio's lookup by name dereferences the field-name table without checks (a corrupt file
    // crashes it, found by fuzzing): look the name up here, then fetch by index.
    if (strct->class_type != MAT_C_STRUCT || !strct->data || index >= element_count(strct))
      fail(where + " is not a struct");
    const unsigned nfields = Mat_VarGetNumberOfFields(strct);
    char* const* names = Mat_VarGetStructFieldnames(strct);
    int found = -1;
    for (unsigned i = 0; names && i < nfields; ++i)
      if (names[i] && std::strcmp(names[i], name) == 0) found = static_cast<int>(i);
    matvar_t* f = found < 0
                      ? nullptr
                      : Mat_VarGetStructFieldByIndex(strct, static_cast<size_t>(found), index);
    if (!f) fail(where + " has no field '" + name + "'");
    return f;
  }

  PartAnnotation read() {
    if (!std::filesystem::exists(path_)) fail("no such file");
    check_mat_v5_structure(path_);  // before matio, which trusts the sizes a file declares
    Mat_LogInitFunc("lagm", remember_matio_message);
    g_matio_message.clear();
    std::unique_ptr<mat_t, MatFileCloser> file(Mat_Open(path_.c_str(), MAT_ACC_RDONLY));
    if (!file)
      fail("not a readable MAT file" +
           (g_matio_message.empty() ? "" : " (" + g_matio_message + ")"));
    std::unique_ptr<matvar_t, MatVarFreer> anno(Mat_VarRead(file.get(), "anno"));
    if (!anno) fail("no variable 'anno' (not a PASCAL-Part annotation)");
    if (anno->class_type != MAT_C_STRUCT || element_count(anno.get()) != 1)
      fail("'anno' is not a 1x1 struct");

    PartAnnotation out;
    out.image_name = text(field(anno.get(), "imname", 0, "anno"), "anno.imname");
    matvar_t* objects = field(anno.get(), "objects", 0, "anno");
    if (objects->class_type != MAT_C_STRUCT) fail("anno.objects is not a struct array");
    const size_t n = element_count(objects);
    for (size_t i = 0; i < n; ++i) {
      const std::string where = "anno.objects(" + std::to_string(i + 1) + ")";
      PartObject obj;
      obj.class_name = text(field(objects, "class", i, where), where + ".class");
      obj.class_index =
          static_cast<int64_t>(scalar(field(objects, "class_ind", i, where), where + ".class_ind"));
      obj.silhouette = mask(field(objects, "mask", i, where), where + ".mask");
      // Silhouette-only classes store `parts` as an empty array of any class.
      matvar_t* parts = field(objects, "parts", i, where);
      if (parts->class_type == MAT_C_STRUCT) {
        const size_t np = element_count(parts);
        for (size_t p = 0; p < np; ++p) {
          const std::string pw = where + ".parts(" + std::to_string(p + 1) + ")";
          auto name = text(field(parts, "part_name", p, pw), pw + ".part_name");
          obj.parts.emplace_back(std::move(name), mask(field(parts, "mask", p, pw), pw + ".mask"));
        }
      } else if (element_count(parts) != 0) {
        fail(where + ".parts is neither a struct array nor empty");
      }
      out.objects.push_back(std::move(obj));
    }
    return out;
  }

 private:
  std::string path_;
};

}  // namespace

PartAnnotation read_pascal_part_annotation(const std::string& path) {
  return AnnotationReader(path).read();
}

}  // namespace lagm::data

#else  // built with LAGM_WITH_MATIO=OFF

namespace lagm::data {

PartAnnotation read_pascal_part_annotation(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path + ": no such file");
  check_mat_v5_structure(path);  // a malformed file is still named as such
  throw InputError(path +
                   ": this lagm was built without matio (LAGM_WITH_MATIO=OFF) and cannot read .mat "
                   "annotations; rebuild with libmatio-dev installed");
}

}  // namespace lagm::data

#endif

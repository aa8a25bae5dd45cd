// A reader of MATLAB v5/v7 MAT files (the format scipy.io.savemat writes and PASCAL-Part ships):
// numeric, logical, char, cell and struct arrays, zlib-compressed or not, either byte order.
// v7.3 files (HDF5) and sparse, object and function arrays are refused by name.
//
// Why our own reader instead of matio: matio trusts the sizes a file declares, so a few hundred
// corrupt bytes made it allocate tens of gigabytes, loop for minutes or crash in its field lookup,
// and a check in front of it kept missing cases. Here every declared size is checked against the
// bytes that hold it while the file is parsed, so memory stays proportional to the file (and to
// kMaxInflatedBytes for compressed elements), and every refusal is an InputError naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lagm::data {

/// Decompressed bytes a file may expand to (PASCAL-Part annotations inflate to a few MB).
inline constexpr size_t kMaxInflatedBytes = size_t{64} << 20;
/// Arrays (matrices, cells, struct fields) a file may hold in all.
inline constexpr size_t kMaxMatArrays = size_t{1} << 20;

enum class MatClass { kNumeric, kChar, kCell, kStruct };

/// One array of a MAT file. Numeric and char data are held as doubles (every MAT integer type up to
/// 2^53 is exact in one; masks and indices are far smaller), column-major as MATLAB stores them.
struct MatArray {
  MatClass kind = MatClass::kNumeric;
  std::string name;          ///< the variable's name (empty inside cells and structs)
  std::vector<size_t> dims;  ///< at least two
  bool is_complex = false;   ///< only the real part is kept
  bool is_logical = false;
  std::vector<double> values;            ///< numeric and char: count() values
  std::vector<std::string> field_names;  ///< struct
  std::vector<MatArray> children;        ///< cell: count(); struct: count() x fields, element-major

  size_t count() const;  ///< product of dims
  /// Struct field `name` of element `index`; nullptr if there is no such field.
  const MatArray* field(const std::string& name, size_t index) const;
};

/// Every variable of the file at `path`, in file order. Throws InputError naming `path` and the
/// first problem: not a MAT file, an unknown version, v7.3, a truncated or oversized element, data
/// shorter than its dimensions, a corrupt compressed element, or an unsupported array class.
std::vector<MatArray> read_mat_v5_file(const std::string& path);

}  // namespace lagm::data

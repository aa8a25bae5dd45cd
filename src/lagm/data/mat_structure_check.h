// A structural check of a MATLAB v5/v7 file before matio reads it (v7.3 files are HDF5, which
// libhdf5 checks itself). matio trusts the dimensions and
// counts a file declares: a few hundred corrupt bytes can make it allocate tens of gigabytes (a
// struct array of 10^9 elements) or loop for minutes. The check walks every data element
// (inflating compressed ones, at most kMaxInflatedBytes in all) and refuses the file unless every
// declared size fits inside its container, so that what matio allocates stays proportional to the
// file.
#pragma once

#include <cstddef>
#include <string>

namespace lagm::data {

/// Decompressed bytes a file may expand to (PASCAL-Part annotations inflate to a few MB).
inline constexpr size_t kMaxInflatedBytes = size_t{256} << 20;

/// Throws InputError naming `path` and the first inconsistency: a truncated header or element, a
/// size larger than its container, a struct or cell array with more elements than bytes to hold
/// them, numeric data shorter than its dimensions, a corrupt or oversized compressed element, or a
/// class other than numeric, logical, char, cell and struct.
void check_mat_v5_structure(const std::string& path);

}  // namespace lagm::data

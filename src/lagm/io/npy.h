// NumPy .npy reader (format versions 1-3, C order), for DatasetGAN's label arrays.
#pragma once

#include <torch/types.h>

#include <string>

namespace lagm::io {

/// Reads a .npy array of bool, (u)int8/16/32/64, float16/32/64 into a tensor of the same values.
/// uint16/32/64 become int64 (LibTorch has no unsigned wide types); values above 2^63 are refused.
/// Throws InputError("<path>: ...") for malformed headers, Fortran order, or truncated data.
torch::Tensor read_npy(const std::string& path);
/// The same from bytes in memory; `source` names them in errors.
torch::Tensor parse_npy(const std::string& bytes, const std::string& source);

}  // namespace lagm::io

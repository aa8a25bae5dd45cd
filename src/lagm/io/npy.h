// NumPy .npy files: a reader (format versions 1-3, C order), for DatasetGAN's label arrays, and a
// writer (format 1.0), for the class probabilities `lagm predict --probs` writes.
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

/// A tensor of uint8, int64, float16, float32 or float64 as .npy bytes (format 1.0, C order).
std::string npy_bytes(const torch::Tensor& tensor);
/// Writes npy_bytes(tensor) to `path` atomically.
void write_npy(const std::string& path, const torch::Tensor& tensor);

}  // namespace lagm::io

// safetensors reader and writer (https://github.com/huggingface/safetensors format):
// 8-byte little-endian header length N, N bytes of JSON, then the raw little-endian tensor bytes.
// Every structural property is validated before any tensor memory is allocated, so a malformed or
// hostile file yields one InputError naming the file, never a crash or an oversized allocation.
#pragma once

#include <map>
#include <string>

#include "lagm/core/tensor_dict.h"

namespace lagm::core {

/// Contents of a safetensors file: tensors in data order plus the `__metadata__` strings.
struct SafetensorsFile {
  TensorDict tensors;
  std::map<std::string, std::string> metadata;
};

/// Header entry of one tensor, as listed by `lagm info` without reading the data.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;  ///< safetensors spelling: F32, BF16, I64, ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  ///< byte offsets relative to the data section
};

/// Parsed and validated header of a safetensors file.
struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  ///< sorted by data offset
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;  ///< file offset of the data section (8 + N)
};

/// Reads and validates a header from the first bytes of a file of `file_size` bytes.
SafetensorsHeader parse_safetensors_header(const std::string& header_json, uint64_t file_size,
                                           const std::string& source);
/// Reads only the header of `path` (cheap for multi-GB checkpoints).
SafetensorsHeader read_safetensors_header(const std::string& path);
/// Reads a whole file. Throws InputError("<path>: <problem>") on any malformation.
SafetensorsFile read_safetensors(const std::string& path);
/// Parses a whole file held in memory; `source` names it in errors.
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& source);

/// Serialises tensors (any device; copied to CPU, made contiguous) and string metadata.
std::string serialize_safetensors(const TensorDict& tensors,
                                  const std::map<std::string, std::string>& metadata = {});
/// A double as a metadata string with every digit ("%.17g"), so that it reads back bit for bit.
std::string metadata_number(double value);
/// Writes atomically (temp file + rename).
void write_safetensors(const std::string& path, const TensorDict& tensors,
                       const std::map<std::string, std::string>& metadata = {});

/// safetensors dtype name of a torch dtype ("F32"); throws Error for dtypes the format lacks.
std::string safetensors_dtype_name(torch::Dtype dtype);
/// Bytes per element of a safetensors dtype name, or 0 when unknown.
int64_t safetensors_dtype_size(const std::string& name);

}  // namespace lagm::core

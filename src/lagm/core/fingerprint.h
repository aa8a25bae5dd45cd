// Fingerprints: a 64-bit FNV-1a hash, as 16 hex digits, of bytes a run depends on (a model file,
// the images and labels a training run reads), so that a folder can tell whether what made it is
// what is given now. Not a cryptographic hash: it detects changes, not forgeries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lagm::core {

class Fingerprint {
 public:
  void add(const void* bytes, size_t size);
  /// The string's length first, so that ("ab", "c") and ("a", "bc") differ.
  void add(const std::string& text);
  std::string hex() const;

 private:
  uint64_t hash_ = 14695981039346656037ull;
};

/// The fingerprint of a file's bytes. InputError naming the path when unreadable.
std::string file_fingerprint(const std::string& path);

}  // namespace lagm::core

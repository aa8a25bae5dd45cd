#include "lagm/core/fingerprint.h"

#include <cstdio>
#include <fstream>
#include <vector>

#include "lagm/core/error.h"

namespace lagm::core {

void Fingerprint::add(const void* bytes, size_t size) {
  const auto* p = static_cast<const unsigned char*>(bytes);
  uint64_t h = hash_;
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  hash_ = h;
}

void Fingerprint::add(const std::string& text) {
  const uint64_t length = text.size();
  add(&length, sizeof length);
  add(text.data(), text.size());
}

std::string Fingerprint::hex() const {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash_));
  return hex;
}

std::string file_fingerprint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read");
  Fingerprint fingerprint;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    fingerprint.add(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  return fingerprint.hex();
}

}  // namespace lagm::core

// Shared by the libFuzzer targets: inputs that a parser reads from a file go through a scratch file
// in memory (/dev/shm when it exists), and the one contract every target checks: a parser of
// outside bytes either succeeds or throws lagm::Error (InputError, with the file named). Any other
// exception (a raw LibTorch or JSON message), a crash or a sanitizer report is a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "lagm/core/error.h"

namespace lagm::fuzz {

/// A scratch file of this process with `extension`, holding the input bytes.
inline std::string write_scratch(const uint8_t* data, size_t size, const std::string& extension) {
  static const std::string dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string path = dir + "/lagm_fuzz_" + std::to_string(::getpid()) + extension;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

/// Runs `parse`; lagm::Error is the expected way to refuse input, everything else escapes.
template <typename Fn>
void expect_parse_or_input_error(Fn&& parse) {
  try {
    parse();
  } catch (const lagm::Error&) {
  }
}

}  // namespace lagm::fuzz

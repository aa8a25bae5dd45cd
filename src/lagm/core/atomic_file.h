// Atomic file output: data goes to a temporary file beside the target, is flushed to disk, and
// is renamed over the target, so a reader never sees a partial file and a crash leaves the old one.
#pragma once

#include <string>

namespace lagm::core {

/// Writes `bytes` to `path` atomically. Throws Error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// Reads a whole file. Throws InputError("<path>: cannot open ...") when unreadable.
std::string read_file(const std::string& path);

}  // namespace lagm::core

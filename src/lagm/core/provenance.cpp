#include "lagm/core/provenance.h"

#include <string>

#ifndef LAGM_VERSION
#define LAGM_VERSION "unknown"
#endif

namespace lagm::core {
namespace {

std::string& recorded() {
  static std::string line;
  return line;
}

// An argument as a POSIX shell reads it back: bare when it holds only safe characters, else in
// single quotes (a quote inside written as '\'').
std::string shell_quoted(const std::string& arg) {
  const bool safe = !arg.empty() && arg.find_first_not_of(
                                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./=:,+@%") == std::string::npos;
  if (safe) return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

const char* lagm_version() { return LAGM_VERSION; }

void set_command_line(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) line += (i ? " " : "") + shell_quoted(argv[i] ? argv[i] : "");
  recorded() = line;
}

const std::string& command_line() { return recorded(); }

}  // namespace lagm::core

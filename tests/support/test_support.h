// Helpers shared by the test binaries: temp folders and running Debian's Python (with PIL, numpy,
// torch) to produce reference files. Python is a test-time tool only; the product never runs it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lagm::test {

/// A fresh, empty temporary folder unique to the calling test.
std::filesystem::path fresh_temp_dir(const std::string& name);

/// Runs tests/support/python/<name>.py with `args` (one each, quoted); returns its exit status.
/// Every Python fixture lives there, as a file a reader can run alone (no Python in C++ strings).
int run_python_file(const std::string& name, const std::vector<std::string>& args);

/// Runs a shell command; returns {exit status, combined stdout+stderr}.
std::pair<int, std::string> run_command(const std::string& command);

/// Newlines in `text` (a one-line error has exactly one).
int count_lines(const std::string& text);

}  // namespace lagm::test

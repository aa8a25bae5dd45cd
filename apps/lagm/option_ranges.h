// The range of every numeric option of every command, in one table (option_ranges.cpp), applied to
// the command tree once it is built: a value outside its range is refused before any work with
// the option's name and the range ("--batch: '0' must be in [1, 4096]"), and `--help` shows the
// range beside each option. The upper bounds keep a typo (an extra zero or three) from starting a
// thousand threads or allocating tens of gigabytes.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace lagm::cli {

struct OptionRange {
  std::string command;  ///< "*" = every command that has the option
  std::string option;   ///< its first long name, e.g. "--batch"
  double low, high;     ///< inclusive
};

/// The table.
const std::vector<OptionRange>& option_ranges();

/// Adds each range's check to its option, and to every option that takes a value the refusal of
/// an empty one. Throws std::logic_error for an entry that names no
/// option of its command (the table and the commands must agree).
void apply_option_ranges(CLI::App& app);

}  // namespace lagm::cli

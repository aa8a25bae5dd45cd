// The demo's levers: the settings of a demo run (DemoSettings) a user may override. Each lever is
// declared once, here: its option name, what it does, the setting it moves and its range or its two
// words. The CLI's options and their help (with the live default), the overrides and their checks
// all come from this one table.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace lagm::demo {

struct DemoSettings;

struct Lever {
  std::string option;  ///< "--magnitude-weight"
  std::string help;    ///< what it does; the default is shown beside it, read from DemoSettings
  std::variant<double DemoSettings::*, int64_t DemoSettings::*, bool DemoSettings::*> setting;
  /// Numbers: the range; max_exclusive for an upper bound the value may not reach.
  double min = 0, max = 0;
  bool min_exclusive = false, max_exclusive = false;
  /// Yes/no levers: the word for false and for true ("off", "on"); both empty: a flag.
  std::array<std::string, 2> words{};
  /// An older spelling of the option, still accepted for one release ("" if none).
  std::string old_option;
};

/// Every lever, in the order of the CLI's help.
const std::vector<Lever>& levers();

/// Overrides given on the command line: the lever's option -> its value as typed ("0.5", "on",
/// "pseudo_label"; "" for a flag).
using LeverOverrides = std::map<std::string, std::string>;

/// Sets each overridden lever in `settings`. UsageError naming the option when a value is not of
/// the lever's kind or out of its range, or when the option is no lever.
void apply_levers(DemoSettings& settings, const LeverOverrides& overrides);

/// The lever's value in `settings` as a user would type it ("0.001", "on", "2400").
std::string lever_value(const Lever& lever, const DemoSettings& settings);

/// The lever's range or words, as its help shows them ("in [0, 1]", "on|off").
std::string lever_domain(const Lever& lever);

}  // namespace lagm::demo

// The one place where the library's setting keys meet the CLI's option names: the library reports a
// bad setting by its key (SettingError), and the CLI says it with the option that sets the key.
#pragma once

#include <string>

namespace lagm::cli {

/// The option of `command` that sets the library's setting `key`: "--" and the key with dashes
/// ("mix_per_batch" -> "--mix-per-batch"), but where an option's name differs from its key
/// ("class_balance_power" is train-seg's "--class-balance").
std::string option_for_setting(const std::string& command, const std::string& key);

}  // namespace lagm::cli

// The settings that decide what a data folder holds (render's domain, style, size and first seed;
// synthesis's snapshot, generator, seeds and sampling), recorded in the folder on its first run. A
// rerun with the same settings completes the folder; one with other settings would mix two data
// sets under one description, and is refused instead, naming each setting that differs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lagm::io {

/// Records `settings` in dir/name (atomically) when the file is absent; otherwise requires them to
/// equal the recorded ones: UsageError "<dir>: holds ... made with other settings (style photo ->
/// flat); ..." for any difference (keys missing on either side included).
void claim_folder_settings(const std::string& dir, const std::string& name,
                           const nlohmann::json& settings);

/// "style photo -> flat, resolution 64 -> 32" for the keys whose values differ; "" when none do.
std::string settings_changes(const nlohmann::json& recorded, const nlohmann::json& given);

}  // namespace lagm::io

// Run directories (DESIGN "Files"): DIR/NNNNN-name/ with config.json, log.txt, stats.jsonl,
// snapshots/, grids/ and metrics-*.jsonl.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace lagm::io {

/// Creates DIR/NNNNN-<name> with the next free 5-digit id and returns its path.
std::string create_run_directory(const std::string& outdir, const std::string& name);

/// Appends one JSON object as a line to a .jsonl file (flushed, so that an interrupted run keeps it).
void append_jsonl(const std::string& path, const nlohmann::json& record);

/// Appends a line of text to a log file.
void append_line(const std::string& path, const std::string& line);

/// Human "1h 02m 03s".
std::string format_duration(double seconds);

}  // namespace lagm::io

// Run directories: DIR/NNNNN-name/ with config.json, log.txt, stats.jsonl,
// snapshots/, grids/ and metrics-*.jsonl.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lagm::io {

/// Creates DIR/NNNNN-<name> with the next free 5-digit id and returns its path (claimed atomically:
/// two processes starting runs in DIR at once get different ids).
std::string create_run_directory(const std::string& outdir, const std::string& name);

/// Appends one JSON object as a line to a .jsonl file (flushed, so that an interrupted run keeps
/// it).
void append_jsonl(const std::string& path, const nlohmann::json& record);

/// Keeps only the lines of a .jsonl file whose number `key` is <= `last_kept` (rewritten
/// atomically; lines that do not parse, such as one cut by a crash, are dropped). A resumed run
/// calls it so that the work it repeats after its last saved state never leaves a line twice. No
/// file: nothing to do.
void truncate_jsonl_after(const std::string& path, const std::string& key, double last_kept);

/// Appends a line of text to a log file.
void append_line(const std::string& path, const std::string& line);

/// Human "1h 02m 03s".
std::string format_duration(double seconds);

}  // namespace lagm::io

// What a file needs to say where it came from: the lagm version and the command that made it.
// The CLI records its command line once at start-up; library callers (tests, embedders) leave it
// empty, and files then say so.
#pragma once

#include <string>

namespace lagm::core {

/// The version of this build (the project version CMake sets).
const char* lagm_version();

/// Records the process's command line (argv, each argument shell-quoted where it needs it).
void set_command_line(int argc, const char* const* argv);

/// The recorded command line; "" when none was recorded.
const std::string& command_line();

}  // namespace lagm::core

// The one type of every long operation's progress report: a callback that receives one
// human-readable line (rate, ETA, losses) at a time. Training, synthesis and the demo all take it.
#pragma once

#include <functional>
#include <string>

namespace lagm {

using ProgressFn = std::function<void(const std::string& line)>;

}  // namespace lagm

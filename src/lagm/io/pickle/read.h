// Reading pickled checkpoints without Python: a network pickle (protocols 2-5) or a legacy
// torch.save file, into plain values (value.h). Nothing in the file is run; only the globals of
// network_globals() are resolved, anything else is refused by name; memory, depth and value
// counts are bounded by the input's size (budget.h).
#pragma once

#include <string>
#include <string_view>

#include "lagm/io/pickle/budget.h"
#include "lagm/io/pickle/value.h"

namespace lagm::io::pickle {

/// The value `bytes` hold; `source` names them in errors (InputError("<source>: ...")).
ValuePtr parse_pickle(std::string_view bytes, const std::string& source, Limits limits = {});
/// The same from a file.
ValuePtr read_pickle_file(const std::string& path, Limits limits = {});

}  // namespace lagm::io::pickle

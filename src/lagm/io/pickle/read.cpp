#include "lagm/io/pickle/read.h"

#include "lagm/core/atomic_file.h"
#include "lagm/io/pickle/globals.h"
#include "lagm/io/pickle/machine.h"
#include "lagm/io/pickle/torch_values.h"

namespace lagm::io::pickle {

ValuePtr parse_pickle(std::string_view bytes, const std::string& source, Limits limits) {
  Budget budget(source, limits, static_cast<int64_t>(bytes.size()));
  if (bytes.substr(0, 4) == std::string_view("PK\x03\x04", 4))
    budget.fail(
        "a zip-format torch file; lagm reads network pickles and legacy torch files "
        "(re-save it with _use_new_zipfile_serialization=False, or as safetensors)");
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != 0x80)
    budget.fail("not a pickle of protocol 2 or later (it does not begin with PROTO)");
  if (is_legacy_torch_file(bytes)) return load_legacy_torch_file(bytes, network_globals(), budget);
  return run_pickle(bytes, 0, network_globals(), budget);
}

ValuePtr read_pickle_file(const std::string& path, Limits limits) {
  return parse_pickle(core::read_file(path), path, limits);
}

}  // namespace lagm::io::pickle

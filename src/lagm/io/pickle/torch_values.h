// Torch's pickled tensors: storages (in a network pickle each is a legacy torch.save of its own;
// in a legacy torch file, records after the pickles), `_rebuild_tensor_v2` views of them and
// parameters, which are their tensors.
#pragma once

#include <string_view>

#include "lagm/io/pickle/globals.h"

namespace lagm::io::pickle {

/// Adds torch's rebuild functions, storage classes and `_load_from_bytes` to `globals`.
void add_torch_globals(Globals& globals);

/// Whether `bytes` begin with the magic-number pickle of a legacy torch.save file.
bool is_legacy_torch_file(std::string_view bytes);

/// The value a legacy torch.save file holds (the format of torch before 1.6 and of
/// `_use_new_zipfile_serialization=False`), each storage filled from the file's records.
ValuePtr load_legacy_torch_file(std::string_view bytes, const Globals& globals, Budget& budget);

}  // namespace lagm::io::pickle

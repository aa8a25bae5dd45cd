// A restricted pickle machine (protocols 2 to 5 and the text opcodes older torch files use): it
// executes a pickle's opcodes over plain values. Globals resolve against an allow-list (globals.h);
// instances are never created, methods never called, so a pickle cannot run code.
#pragma once

#include <string_view>

#include "lagm/io/pickle/budget.h"
#include "lagm/io/pickle/globals.h"
#include "lagm/io/pickle/value.h"

namespace lagm::io::pickle {

/// Runs the pickle that starts at `offset` of `data` to its STOP and returns its value;
/// `*end` (when given) receives the offset after the STOP, where a torch file's next pickle or
/// raw storage data begins. Throws InputError("<source>: ...") on malformed or refused input.
ValuePtr run_pickle(std::string_view data, size_t offset, const Globals& globals, Budget& budget,
                    size_t* end = nullptr);

}  // namespace lagm::io::pickle

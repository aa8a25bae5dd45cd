#include "lagm/io/pickle/machine.h"

#include "lagm/io/pickle/machine_core.h"

namespace lagm::io::pickle {

ValuePtr run_pickle(std::string_view data, size_t offset, const Globals& globals, Budget& budget,
                    size_t* end) {
  if (offset >= data.size()) budget.fail("no pickle at byte " + std::to_string(offset));
  detail::Machine machine(data, offset, globals, budget);
  auto v = machine.run();
  if (end) *end = machine.position();
  return v;
}

}  // namespace lagm::io::pickle

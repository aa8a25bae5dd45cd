// The allow-list of a restricted unpickler: the only classes and functions a pickle may name,
// each mapped to a C++ function that builds a plain value from its arguments. Anything else is
// refused by name when the pickle names it, before anything is called.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lagm/io/pickle/budget.h"
#include "lagm/io/pickle/value.h"

namespace lagm::io::pickle {

/// What REDUCE and NEWOBJ do with a global: its arguments -> the value the pickle gets.
using GlobalFunction = std::function<ValuePtr(const std::vector<ValuePtr>& args, Budget& budget)>;
/// What BUILD does to an object of one class with the state the pickle gives it.
using BuildFunction = std::function<void(Value& object, const ValuePtr& state, Budget& budget)>;
/// What a persistent id (torch files' storages) resolves to.
using PersistentLoad = std::function<ValuePtr(const ValuePtr& id, Budget& budget)>;

struct Globals {
  std::map<std::string, GlobalFunction> functions;  ///< by "module.name"
  std::map<std::string, BuildFunction> builders;    ///< by an object's class
  PersistentLoad persistent_load;                   ///< empty: persistent ids are refused

  /// The function `module.name` names, or nullptr. NVIDIA's modules are matched by their ends
  /// ("external.stylegan2.dnnlib.util" is "dnnlib.util"), since projects vendor them.
  const GlobalFunction* find(const std::string& module, const std::string& name) const;
};

/// Everything a network pickle or a torch file of tensors needs: torch tensors and storages,
/// numpy arrays, dtypes and scalars, OrderedDict, set, NVIDIA's persistence reconstructor,
/// EasyDict and the TensorFlow network state.
const Globals& network_globals();

}  // namespace lagm::io::pickle

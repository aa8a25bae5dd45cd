#include "lagm/models/stylegan2/ada_pickle.h"

#include <set>

#include "lagm/core/error.h"
#include "lagm/models/pickled_values.h"

namespace lagm::models::stylegan2 {
namespace {

namespace pk = io::pickle;

const char* const kGeneratorArgs[] = {"z_dim",           "c_dim",        "w_dim",
                                      "img_resolution",  "img_channels", "mapping_kwargs",
                                      "synthesis_kwargs"};

// A module shared by several parents is flattened once per path, as torch does; this bounds what a
// pickle that shares one module many times over (2^depth paths) can make it visit.
constexpr int64_t kMaxModuleVisits = 100000;

/// state_dict() of a persistent module: its parameters, its persistent buffers, then each child's
/// under "<child>.", as torch orders them.
void flatten(const pk::Value& module, const std::string& prefix, core::TensorDict& out,
             const std::string& where, int64_t& visits) {
  if (++visits > kMaxModuleVisits)
    throw InputError(where + ": more than 100000 modules (a module shared over and over)");
  const auto& state = module.state;
  if (!module.is(pk::Kind::kObject) || !state || !state->is(pk::Kind::kDict))
    throw InputError(where + ": '" + prefix + "' is a " + module.describe() + ", not a module");
  std::set<std::string> non_persistent;
  if (auto skip = state->find("_non_persistent_buffers_set"))
    for (const auto& name : skip->items)
      if (name->is(pk::Kind::kString)) non_persistent.insert(name->text);
  for (const char* group : {"_parameters", "_buffers"}) {
    const auto tensors = state->find(group);
    if (!tensors || !tensors->is(pk::Kind::kDict)) continue;
    for (const auto& [k, v] : tensors->entries) {
      if (!k->is(pk::Kind::kString) || v->is(pk::Kind::kNone) || non_persistent.count(k->text))
        continue;
      out.set(prefix + k->text, pickled_float_tensor(v, where + ": " + prefix + k->text));
    }
  }
  if (const auto children = state->find("_modules"); children && children->is(pk::Kind::kDict))
    for (const auto& [k, child] : children->entries)
      if (k->is(pk::Kind::kString) && !child->is(pk::Kind::kNone))
        flatten(*child, prefix + k->text + ".", out, where, visits);
}

/// The constructor's arguments: `_init_args` by position, then `_init_kwargs`; pickles of old
/// versions that kept neither give the Generator's attributes instead.
nlohmann::json init_kwargs(const pk::Value& state, const std::string& where) {
  auto kwargs = nlohmann::json::object();
  if (const auto args = state.find("_init_args"); args && args->is_sequence()) {
    if (args->items.size() > std::size(kGeneratorArgs))
      throw InputError(where + ": more positional init args than Generator takes");
    for (size_t i = 0; i < args->items.size(); ++i)
      kwargs[kGeneratorArgs[i]] = pickled_json(*args->items[i], where + "._init_args");
  }
  if (const auto named = state.find("_init_kwargs"); named && named->is(pk::Kind::kDict)) {
    const auto given = pickled_json(*named, where + "._init_kwargs");
    for (const auto& [k, v] : given.items()) kwargs[k] = v;
  }
  if (kwargs.empty())
    for (size_t i = 0; i < 5; ++i)
      if (const auto v = state.find(kGeneratorArgs[i]))
        kwargs[kGeneratorArgs[i]] = pickled_json(*v, where + "." + kGeneratorArgs[i]);
  return kwargs;
}

}  // namespace

std::pair<nlohmann::json, core::TensorDict> import_ada_pickle(const pk::Value& network,
                                                              const std::string& name,
                                                              const std::string& path) {
  if (!network.is(pk::Kind::kObject) || network.text != "Generator" || !network.state)
    throw InputError(path + ": '" + name + "' is a " + network.describe() +
                     ", not a persistent Generator");
  core::TensorDict tensors;
  int64_t visits = 0;
  flatten(network, "", tensors, path, visits);
  auto kwargs = init_kwargs(*network.state, path + ": " + name);
  if (kwargs.contains("c_dim") && kwargs["c_dim"] != 0)
    throw InputError(path + ": a conditional generator (c_dim " + kwargs["c_dim"].dump() +
                     ") is not supported");
  return {std::move(kwargs), std::move(tensors)};
}

}  // namespace lagm::models::stylegan2

#include "lagm/io/pickle/globals.h"

#include "lagm/io/pickle/numpy_values.h"
#include "lagm/io/pickle/torch_values.h"

namespace lagm::io::pickle {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// NVIDIA's module names as projects vendor them ("external.stylegan2.dnnlib.util").
std::string canonical_module(const std::string& module) {
  for (const char* known : {"torch_utils.persistence", "dnnlib.util", "dnnlib.tflib.network"})
    if (module == known || ends_with(module, std::string(".") + known)) return known;
  return module;
}

/// An ordered dict: empty, or from a list of [key, value] pairs (Python 2's OrderedDict).
ValuePtr ordered_dict(const std::vector<ValuePtr>& args, Budget& budget) {
  auto d = make_container(Kind::kDict);
  if (args.empty()) return d;
  if (args.size() != 1 || !args[0]->is_sequence()) budget.fail("OrderedDict of a non-list");
  for (const auto& pair : args[0]->items) {
    if (!pair->is_sequence() || pair->items.size() != 2) budget.fail("OrderedDict of non-pairs");
    d->entries.emplace_back(pair->items[0], pair->items[1]);
  }
  return d;
}

ValuePtr set_of(const std::vector<ValuePtr>& args, Budget& budget) {
  auto s = make_container(Kind::kSet);
  if (args.empty()) return s;
  if (args.size() != 1 || !args[0]->is_sequence()) budget.fail("set of a non-list");
  s->items = args[0]->items;
  return s;
}

ValuePtr empty_dict(const std::vector<ValuePtr>& args, Budget& budget) {
  if (!args.empty()) budget.fail("EasyDict with constructor arguments");
  return make_container(Kind::kDict);
}

/// persistence's `_reconstruct_persistent_obj(meta)`: an object of meta's class with meta's state
/// (the module's __dict__); meta's source text is never run.
ValuePtr persistent_object(const std::vector<ValuePtr>& args, Budget& budget) {
  const auto meta = args.size() == 1 && args[0]->is(Kind::kDict) ? args[0] : nullptr;
  const auto type = meta ? meta->find("type") : nullptr;
  const auto name = meta ? meta->find("class_name") : nullptr;
  if (!type || !type->is(Kind::kString) || type->text != "class" || !name ||
      !name->is(Kind::kString))
    budget.fail("a persistent object without type 'class' and a class name");
  auto object = make_object(name->text);
  object->state = meta->find("state");
  if (!object->state) budget.fail("persistent " + name->text + " without its state");
  return object;
}

ValuePtr tf_network(const std::vector<ValuePtr>& args, Budget& budget) {
  if (!args.empty()) budget.fail("a TensorFlow Network with constructor arguments");
  return make_object("dnnlib.tflib.network.Network");
}

/// copyreg._reconstructor(cls, base, state): cls's empty instance, as NEWOBJ makes it.
ValuePtr reconstructor(const std::vector<ValuePtr>& args, Budget& budget) {
  if (args.size() != 3 || !args[0]->is(Kind::kGlobal) || !args[2]->is(Kind::kNone))
    budget.fail("copyreg._reconstructor other than (class, object, None)");
  const auto& name = args[0]->text;
  const auto dot = name.rfind('.');
  return (*network_globals().find(name.substr(0, dot), name.substr(dot + 1)))({}, budget);
}

ValuePtr refuse_call(const std::vector<ValuePtr>&, Budget& budget) {
  budget.fail("builtins.object is only an argument of copyreg._reconstructor here");
}

Globals make_network_globals() {
  Globals g;
  add_torch_globals(g);
  add_numpy_globals(g);
  auto& f = g.functions;
  f["collections.OrderedDict"] = ordered_dict;
  for (const std::string builtins : {"builtins", "__builtin__"}) {
    f[builtins + ".set"] = set_of;
    f[builtins + ".frozenset"] = set_of;
    f[builtins + ".object"] = refuse_call;
  }
  f["copyreg._reconstructor"] = reconstructor;
  f["copy_reg._reconstructor"] = reconstructor;
  f["torch_utils.persistence._reconstruct_persistent_obj"] = persistent_object;
  f["dnnlib.util.EasyDict"] = empty_dict;
  f["dnnlib.tflib.network.Network"] = tf_network;
  return g;
}

}  // namespace

const GlobalFunction* Globals::find(const std::string& module, const std::string& name) const {
  auto it = functions.find(canonical_module(module) + "." + name);
  return it == functions.end() ? nullptr : &it->second;
}

const Globals& network_globals() {
  static const Globals globals = make_network_globals();
  return globals;
}

}  // namespace lagm::io::pickle

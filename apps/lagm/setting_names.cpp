#include "setting_names.h"

#include <algorithm>
#include <vector>

namespace lagm::cli {
namespace {

struct Renamed {
  const char* command;  ///< "*": every command
  const char* key;
  const char* option;
};

// Only the options whose names are not their keys with dashes.
const std::vector<Renamed>& renamed() {
  static const std::vector<Renamed> table = {
      {"train-seg", "class_balance_power", "--class-balance"},
      {"train-seg", "sync_batch_norm", "--sync-bn"},
      {"train-seg", "ssl_method", "--ssl"},
      {"synthesize", "truncation_psi", "--psi"},
      {"annotator-quality", "truncation_psi", "--psi"},
      {"train-annotator-supervised", "truncation_psi", "--psi"},
  };
  return table;
}

}  // namespace

std::string option_for_setting(const std::string& command, const std::string& key) {
  for (const auto& r : renamed())
    if ((r.command == command || std::string(r.command) == "*") && r.key == key) return r.option;
  std::string option = "--" + key;
  std::replace(option.begin(), option.end(), '_', '-');
  return option;
}

}  // namespace lagm::cli

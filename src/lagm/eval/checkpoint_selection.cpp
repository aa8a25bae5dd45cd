#include "lagm/eval/checkpoint_selection.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lagm/core/error.h"

namespace lagm::eval {
namespace fs = std::filesystem;

SelectedCheckpoint best_validation_checkpoint(const std::string& run_dir) {
  const auto metrics = (fs::path(run_dir) / "metrics-val.jsonl").string();
  std::ifstream in(metrics);
  if (!in) throw InputError(metrics + ": no validation metrics (the run had no validation set?)");
  SelectedCheckpoint best;
  bool found = false;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw InputError(metrics + ":" + std::to_string(line_no) + ": not a JSON object");
    SelectedCheckpoint c;
    if (j.contains("results") && j.contains("snapshot")) {  // train-annotator
      c.val_fg_miou = j["results"].value("fg_mIoU", 0.0);
      c.step = j.value("iteration", int64_t{-1});
      c.path = (fs::path(run_dir) / j["snapshot"].get<std::string>()).string();
    } else if (j.contains("epoch") && j.contains("fg_mIoU")) {  // train-seg
      c.val_fg_miou = j["fg_mIoU"].get<double>();
      c.step = j["epoch"].get<int64_t>();
      char name[40];
      std::snprintf(name, sizeof name, "segmenter-%03lld.safetensors",
                    static_cast<long long>(c.step));
      c.path = (fs::path(run_dir) / name).string();
    } else {
      throw InputError(metrics + ":" + std::to_string(line_no) +
                       ": neither a train-annotator nor a train-seg record");
    }
    if (!found || c.val_fg_miou > best.val_fg_miou) best = c;  // argmax: the first maximum wins
    found = true;
  }
  if (!found) throw InputError(metrics + ": empty");
  if (!fs::exists(best.path))
    throw InputError(best.path + ": the best validation checkpoint is missing");
  return best;
}

}  // namespace lagm::eval

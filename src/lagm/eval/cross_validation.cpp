#include "lagm/eval/cross_validation.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "lagm/core/error.h"
#include "lagm/eval/confusion_matrix.h"

namespace lagm::eval {
namespace fs = std::filesystem;

std::vector<std::string> cv_checkpoints(const std::string& run_dir, size_t keep) {
  if (!fs::is_directory(run_dir))
    throw InputError(run_dir + ": --cv needs a run folder of checkpoints");
  std::vector<std::string> found;
  auto scan = [&](const fs::path& dir, const std::string& prefix) {
    if (!fs::is_directory(dir)) return;
    for (const auto& e : fs::directory_iterator(dir)) {
      const auto name = e.path().filename().string();
      if (e.path().extension() == ".safetensors" && name.rfind(prefix, 0) == 0)
        found.push_back(e.path().string());
    }
  };
  scan(run_dir, "segmenter-");
  scan(fs::path(run_dir) / "snapshots", "");
  std::sort(found.begin(), found.end());
  if (found.size() > keep)
    found.erase(found.begin(), found.end() - static_cast<std::ptrdiff_t>(keep));
  if (found.empty())
    throw InputError(run_dir + ": no segmenter-*.safetensors or snapshots/*.safetensors");
  return found;
}

namespace {
double miou(const std::vector<torch::Tensor>& per_image, size_t lo, size_t hi, bool inside) {
  ConfusionMatrix cm(per_image.front().size(0));
  for (size_t i = 0; i < per_image.size(); ++i)
    if ((i >= lo && i < hi) == inside) cm.add_counts(per_image[i]);
  return cm.metrics(AbsentClassRule::kCountAsZero).mean_iou;
}
}  // namespace

CrossValidationResult cross_validate(const std::vector<std::vector<torch::Tensor>>& counts,
                                     int64_t folds) {
  if (counts.empty() || counts.front().empty())
    throw SettingError("cv", "needs checkpoints and images");
  const size_t n = counts.front().size();
  const size_t fold = n / static_cast<size_t>(folds);
  if (fold == 0)
    throw SettingError("cv", std::to_string(folds) + ": needs at least that many images");
  CrossValidationResult r;
  for (int64_t f = 0; f < folds; ++f) {
    const size_t lo = fold * static_cast<size_t>(f), hi = fold * static_cast<size_t>(f + 1);
    double best_val = 0, result = 0;
    int64_t chosen = -1;
    for (size_t c = 0; c < counts.size(); ++c) {
      const double val = miou(counts[c], lo, hi, true);
      if (val > best_val) {  // strict: the earliest of equal checkpoints stays
        best_val = val;
        result = miou(counts[c], lo, hi, false);  // the remainder images belong to the test part
        chosen = static_cast<int64_t>(c);
      }
    }
    r.fold_miou.push_back(result);
    r.fold_checkpoint.push_back(chosen);
  }
  for (double v : r.fold_miou) r.mean += v / static_cast<double>(folds);
  for (double v : r.fold_miou) r.std += (v - r.mean) * (v - r.mean) / static_cast<double>(folds);
  r.std = std::sqrt(r.std);
  return r;
}

}  // namespace lagm::eval

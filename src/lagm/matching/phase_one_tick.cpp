#include "lagm/matching/phase_one_tick.h"

#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "lagm/io/run_directory.h"
#include "lagm/train/run_folder.h"

namespace lagm::matching {
namespace {

double max_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

}  // namespace

void record_tick(const train::RunFolder& folder, int64_t iteration, int64_t total_iters,
                 const train::TickLosses& losses, double sec_per_iter,
                 const train::RateMeter& meter, const ProgressFn& progress) {
  const double matching = losses.mean("matching"), label = losses.mean("label"),
               synthetic_a = losses.mean("synthetic_a"), synthetic_s = losses.mean("synthetic_s"),
               pseudo_label = losses.mean("pseudo_label");
  char line[512];
  std::snprintf(line, sizeof line,
                "iter %lld/%lld  %.3f s/iter  elapsed %s  ETA %s  loss_gm %.5f  loss_lbl %.4f  "
                "loss_syn_A %.4f  loss_syn_S %.4f  rss %.0f MB",
                static_cast<long long>(iteration), static_cast<long long>(total_iters),
                sec_per_iter, io::format_duration(meter.elapsed_seconds()).c_str(),
                meter.eta_text().c_str(), matching, label, synthetic_a, synthetic_s, max_rss_mb());
  std::string text = line;
  if (!std::isnan(pseudo_label)) {
    char extra[48];
    std::snprintf(extra, sizeof extra, "  loss_pl %.4f", pseudo_label);
    text += extra;
  }
  folder.log(text);
  if (progress) progress(text);
  auto num = [](double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); };
  folder.record("stats.jsonl", {{"iteration", iteration},
                                {"sec_per_iter", sec_per_iter},
                                {"loss_gm", num(matching)},
                                {"loss_label", num(label)},
                                {"loss_syn_A", num(synthetic_a)},
                                {"loss_syn_S", num(synthetic_s)},
                                {"loss_pl", num(pseudo_label)},
                                {"max_rss_mb", max_rss_mb()},
                                {"timestamp", static_cast<int64_t>(std::time(nullptr))}});
}

}  // namespace lagm::matching

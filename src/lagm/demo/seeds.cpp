// `lagm demo --seeds 0,1,2`: the demo once per seed, then the mean and standard deviation of every
// figure over the seeds. A lever that helps on one seed only is noise; this is how it is told.
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/demo/demo.h"

namespace lagm::demo {
namespace {

namespace fs = std::filesystem;

struct MeanStd {
  double mean = 0, std = 0;  ///< std: sample standard deviation (n - 1); 0 for one seed
};

MeanStd mean_std(const std::vector<double>& v) {
  MeanStd m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    for (double x : v) m.std += (x - m.mean) * (x - m.mean);
    m.std = std::sqrt(m.std / static_cast<double>(v.size() - 1));
  }
  return m;
}

std::string pm(const MeanStd& m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ± %.1f", 100 * m.mean, 100 * m.std);
  return buf;
}

nlohmann::json to_json(const MeanStd& m) { return {{"mean", m.mean}, {"std", m.std}}; }

/// Per arm: mIoU, FG-mIoU, pACC and per-class IoU over the seeds; annotator quality where measured.
struct ArmSummary {
  std::string name;
  MeanStd miou, fg_miou, pacc, quality_fg_miou;
  std::vector<MeanStd> per_class, quality_per_class;
};

std::vector<ArmSummary> summarize(const std::vector<DemoResult>& results) {
  std::vector<ArmSummary> arms;
  for (size_t a = 0; a < results.front().arms.size(); ++a) {
    ArmSummary s;
    s.name = results.front().arms[a].name;
    std::vector<double> miou, fg, pacc, qfg;
    const size_t k = results.front().class_names.size();
    std::vector<std::vector<double>> cls(k), qcls(k);
    for (const auto& r : results) {
      const auto& arm = r.arms.at(a);
      miou.push_back(arm.metrics.mean_iou), fg.push_back(arm.metrics.fg_mean_iou),
          pacc.push_back(arm.metrics.pixel_accuracy);
      for (size_t c = 0; c < k; ++c)
        cls[c].push_back(std::isnan(arm.metrics.iou[c]) ? 0.0 : arm.metrics.iou[c]);
      if (!arm.annotator_quality.is_null()) {
        const auto& q = arm.annotator_quality.at("vs_oracle");
        qfg.push_back(q.at("fg_mIoU").get<double>());
        const auto per = q.at("per_class_iou").get<std::vector<double>>();
        for (size_t c = 0; c < k; ++c) qcls[c].push_back(per.at(c));
      }
    }
    s.miou = mean_std(miou), s.fg_miou = mean_std(fg), s.pacc = mean_std(pacc);
    for (size_t c = 0; c < k; ++c) s.per_class.push_back(mean_std(cls[c]));
    if (qfg.size() == results.size()) {
      s.quality_fg_miou = mean_std(qfg);
      for (size_t c = 0; c < k; ++c) s.quality_per_class.push_back(mean_std(qcls[c]));
    }
    arms.push_back(s);
  }
  return arms;
}

std::string summary_markdown(const DemoOptions& o, const std::vector<uint64_t>& seeds,
                             const std::vector<DemoResult>& results) {
  const auto arms = summarize(results);
  const auto& classes = results.front().class_names;
  std::ostringstream md;
  md << "# lagm demo over seeds";
  for (auto s : seeds) md << " " << s;
  md << ": " << describe_labelled_set(o) << "\n\n"
     << "Mean ± standard deviation over " << seeds.size()
     << " seeds (each seed: its own labelled images and training "
     << "randomness; the same test set). Per-seed reports: `seed-<s>/report.md`.\n\n"
     << "| method | mIoU | FG-mIoU | pACC |\n|---|---:|---:|---:|\n";
  for (const auto& a : arms)
    md << "| " << a.name << " | " << pm(a.miou) << " | " << pm(a.fg_miou) << " | " << pm(a.pacc)
       << " |\n";
  auto table = [&](const std::string& title, bool quality) {
    md << "\n" << title << "\n\n| method |";
    for (const auto& c : classes) md << " " << c << " |";
    md << "\n|---|";
    for (size_t i = 0; i < classes.size(); ++i) md << "---:|";
    md << "\n";
    for (const auto& a : arms) {
      const auto& v = quality ? a.quality_per_class : a.per_class;
      if (v.empty()) continue;
      md << "| " << a.name << " |";
      for (const auto& c : v) md << " " << pm(c) << " |";
      md << "\n";
    }
  };
  table("Per-class test IoU (%):", false);
  table("Annotator labels on generated images against the oracle's (per-class IoU, %):", true);
  return md.str();
}

}  // namespace

nlohmann::json summarize_seeds(const DemoOptions& o, const std::vector<uint64_t>& seeds,
                               const std::vector<DemoResult>& results) {
  if (results.empty()) throw UsageError("no demo results to summarize");
  nlohmann::json j = {{"seeds", seeds},
                      {"labels", o.labels},
                      {"labelled_style", toy::to_string(o.labelled_style)},
                      {"labelled_source", labelled_source_name(o.labelled_source)},
                      {"quick", o.quick},
                      {"class_names", results.front().class_names},
                      {"methods", nlohmann::json::object()}};
  for (const auto& a : summarize(results)) {
    nlohmann::json m = {{"mIoU", to_json(a.miou)},
                        {"fg_mIoU", to_json(a.fg_miou)},
                        {"pACC", to_json(a.pacc)},
                        {"per_class", nlohmann::json::array()}};
    for (const auto& c : a.per_class) m["per_class"].push_back(to_json(c));
    if (!a.quality_per_class.empty()) {
      m["annotator_quality"] = {{"fg_mIoU", to_json(a.quality_fg_miou)},
                                {"per_class", nlohmann::json::array()}};
      for (const auto& c : a.quality_per_class)
        m["annotator_quality"]["per_class"].push_back(to_json(c));
    }
    j["methods"][a.name] = m;
  }
  return j;
}

std::vector<DemoResult> run_demo_seeds(const DemoOptions& options,
                                       const std::vector<uint64_t>& seeds,
                                       const ProgressFn& progress) {
  if (seeds.empty()) throw SettingError("seeds", "lists no seed");
  std::vector<DemoResult> results;
  for (uint64_t seed : seeds) {
    DemoOptions o = options;
    o.seed = seed;
    o.out = (fs::path(options.out) / ("seed-" + std::to_string(seed))).string();
    if (progress) progress("=== seed " + std::to_string(seed) + " -> " + o.out);
    results.push_back(run_demo(o, progress));
  }
  core::write_file_atomic((fs::path(options.out) / "summary.json").string(),
                          summarize_seeds(options, seeds, results).dump(2) + "\n");
  core::write_file_atomic((fs::path(options.out) / "summary.md").string(),
                          summary_markdown(options, seeds, results));
  return results;
}

}  // namespace lagm::demo

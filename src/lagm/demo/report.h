// The demo's report: results.json (machine-readable), report.md and report.html (a results
// table, per-class IoU, and pictures: generated images with their annotator labels, test
// predictions of every arm side by side).
#pragma once

#include <string>

#include "lagm/demo/demo.h"

namespace lagm::demo {

struct ReportInputs {
  const DemoOptions& options;
  const DemoSettings& settings;
  const DemoResult& result;
  std::string test_dir;         ///< the rendered test set
  std::string synthesized_dir;  ///< the gradient-matching arm's synthesized set
};

/// Writes results.json, report.md, report.html, annotator_labels.png and predictions.png into
/// options.out (each atomically).
void write_report(const ReportInputs& inputs);

}  // namespace lagm::demo

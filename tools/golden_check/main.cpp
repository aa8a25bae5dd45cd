// golden_check CASE_DIR...: runs golden cases of ../shared/golden and prints, per compared
// tensor, the max abs and rel error and PASS/FAIL. Exit 0 only if every case passes.
#include <cstdio>
#include <string>

#include "golden_case.h"
#include "lagm/core/runtime.h"

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: golden_check [--device cpu|cuda] CASE_DIR...\n");
    return 2;
  }
  lagm::core::configure_runtime(0);
  torch::Device device(torch::kCPU);
  int first = 1;
  if (std::string(argv[1]) == "--device" && argc > 3) {
    try {
      device = lagm::core::parse_device(argv[2]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "golden_check: %s\n", e.what());
      return 2;
    }
    first = 3;
  }
  bool all_pass = true;
  for (int i = first; i < argc; ++i) {
    const auto report = lagm::golden::run_golden_case(argv[i], device);
    std::printf("== %s (%s)\n", report.dir.c_str(), report.kind.c_str());
    for (const auto& c : report.comparisons)
      std::printf("  %-60s max_abs %.3e  max_rel %.3e  tol %.1e  %s\n", c.name.c_str(), c.max_abs,
                  c.max_rel, c.tolerance, c.pass ? "PASS" : "FAIL");
    if (!report.error.empty()) std::printf("  error: %s\n", report.error.c_str());
    std::printf("%s %s\n", report.passed() ? "PASS" : "FAIL", report.dir.c_str());
    all_pass = all_pass && report.passed();
  }
  return all_pass ? 0 : 1;
}

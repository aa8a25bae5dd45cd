// golden_check CASE_DIR...: runs golden cases (tests/golden/reference) and prints, per compared
// tensor, the max abs and rel error and PASS/FAIL. Exit 0 only if every case passes.
#include <cstdio>
#include <string>

#include "golden_case.h"
#include "lagm/core/runtime.h"

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: golden_check [--device cpu|cuda] [--threads N] CASE_DIR...\n");
    return 2;
  }
  torch::Device device(torch::kCPU);
  int threads = 0, first = 1;
  while (first + 1 < argc && std::string(argv[first]).rfind("--", 0) == 0) {
    const std::string flag = argv[first], value = argv[first + 1];
    try {
      if (flag == "--device")
        device = lagm::core::parse_device(value);
      else if (flag == "--threads")
        threads = std::stoi(value);
      else
        throw std::invalid_argument("unknown option " + flag);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "golden_check: %s\n", e.what());
      return 2;
    }
    first += 2;
  }
  lagm::core::configure_runtime(threads);
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

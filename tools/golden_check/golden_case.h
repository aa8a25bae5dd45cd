// A golden case of tests/golden/reference (see its README): configuration, reference weights and
// the reference inputs/outputs, plus the comparison bookkeeping every kind runner shares.
#pragma once

#include <torch/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/core/tensor_dict.h"

namespace lagm::golden {

/// One compared tensor: errors and verdict. "rel" is max|a - b| / max|b| (spec convention).
struct Comparison {
  std::string name;
  double max_abs = 0, max_rel = 0, tolerance = 0;
  bool pass = false;
};

/// Loaded case folder.
struct GoldenCase {
  std::string dir;
  nlohmann::json config;
  core::TensorDict weights;  ///< G.*, A.*, S.*
  core::TensorDict io;       ///< in.*, out.*
  torch::Device device = torch::kCPU;
};

/// Result of one case.
struct CaseReport {
  std::string dir, kind;
  std::vector<Comparison> comparisons;
  std::string error;  ///< non-empty when the case could not run (unsupported kind, exception)
  bool passed() const;
};

/// Collects comparisons for a case.
class Checker {
 public:
  explicit Checker(CaseReport& report) : report_(report) {}
  /// Passes when max|got - expected| <= atol + rtol * max|expected|.
  void compare(const std::string& name, const torch::Tensor& got, const torch::Tensor& expected,
               double rtol, double atol);

 private:
  CaseReport& report_;
};

using KindRunner = std::function<void(const GoldenCase&, Checker&)>;

/// Kinds this build supports, each with its runner.
const std::vector<std::pair<std::string, KindRunner>>& golden_kinds();
bool is_supported_kind(const std::string& kind);

/// Loads the case in `dir`. Throws InputError naming the folder when files are missing.
GoldenCase load_golden_case(const std::string& dir, torch::Device device = torch::kCPU);

/// Loads and runs a case; never throws (errors go to `CaseReport::error`).
CaseReport run_golden_case(const std::string& dir, torch::Device device = torch::kCPU);

// Runners, one per kind (kinds/*.cpp).
void run_miou(const GoldenCase& c, Checker& check);
void run_stylegan2_forward(const GoldenCase& c, Checker& check);
void run_segmenter_forward(const GoldenCase& c, Checker& check);
void run_lagm_gm_step(const GoldenCase& c, Checker& check);
void run_stylegan1_forward(const GoldenCase& c, Checker& check);

}  // namespace lagm::golden

#include "golden_case.h"

#include <torch/torch.h>

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"

namespace lagm::golden {

bool CaseReport::passed() const {
  if (!error.empty() || comparisons.empty()) return false;
  for (const auto& c : comparisons)
    if (!c.pass) return false;
  return true;
}

void Checker::compare(const std::string& name, const torch::Tensor& got,
                      const torch::Tensor& expected, double rtol, double atol) {
  Comparison c;
  c.name = name;
  if (got.sizes() != expected.sizes()) {
    c.max_abs = c.max_rel = std::numeric_limits<double>::infinity();
    c.name += " (shape " + format_shape(got.sizes().vec()) + " vs " +
              format_shape(expected.sizes().vec()) + ")";
    report_.comparisons.push_back(c);
    return;
  }
  auto a = got.detach().to(torch::kCPU, torch::kFloat64);
  auto b = expected.detach().to(torch::kCPU, torch::kFloat64);
  const double scale = b.numel() ? b.abs().max().item<double>() : 0.0;
  c.max_abs = a.numel() ? (a - b).abs().max().item<double>() : 0.0;
  if (std::isnan(c.max_abs)) c.max_abs = std::numeric_limits<double>::infinity();
  c.max_rel = scale > 0 ? c.max_abs / scale
                        : (c.max_abs > 0 ? std::numeric_limits<double>::infinity() : 0.0);
  c.tolerance = atol + rtol * scale;
  c.pass = c.max_abs <= c.tolerance;
  report_.comparisons.push_back(c);
}

const std::vector<std::pair<std::string, KindRunner>>& golden_kinds() {
  static const std::vector<std::pair<std::string, KindRunner>> kinds = {
      {"miou", run_miou},
      {"stylegan2_forward", run_stylegan2_forward},
      {"segmenter_forward", run_segmenter_forward},
      {"lagm_gm_step", run_lagm_gm_step},
      {"stylegan1_forward", run_stylegan1_forward},
  };
  return kinds;
}

bool is_supported_kind(const std::string& kind) {
  for (const auto& k : golden_kinds())
    if (k.first == kind) return true;
  return false;
}

GoldenCase load_golden_case(const std::string& dir, torch::Device device) {
  namespace fs = std::filesystem;
  GoldenCase c;
  c.dir = dir;
  c.device = device;
  const fs::path root(dir);
  for (const char* name : {"case.json", "io.safetensors"})
    if (!fs::exists(root / name)) throw InputError(dir + ": golden case has no " + name);
  c.config = nlohmann::json::parse(core::read_file((root / "case.json").string()), nullptr, false);
  if (c.config.is_discarded() || !c.config.is_object())
    throw InputError((root / "case.json").string() + ": not a JSON object");
  c.io = core::read_safetensors((root / "io.safetensors").string()).tensors;
  if (fs::exists(root / "weights.safetensors"))
    c.weights = core::read_safetensors((root / "weights.safetensors").string()).tensors;
  return c;
}

CaseReport run_golden_case(const std::string& dir, torch::Device device) {
  CaseReport report;
  report.dir = dir;
  try {
    GoldenCase c = load_golden_case(dir, device);
    report.kind = c.config.value("kind", "");
    for (const auto& [kind, runner] : golden_kinds()) {
      if (kind != report.kind) continue;
      Checker checker(report);
      runner(c, checker);
      return report;
    }
    report.error = "unsupported kind '" + report.kind + "'";
  } catch (const std::exception& e) {
    report.error = e.what();
  }
  return report;
}

}  // namespace lagm::golden

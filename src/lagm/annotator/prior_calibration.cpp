#include "lagm/annotator/prior_calibration.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "lagm/core/error.h"

namespace lagm::annotator {

namespace {

torch::Tensor class_counts(const torch::Tensor& labels, int64_t num_classes) {
  auto flat = labels.reshape(-1).to(torch::kCPU, torch::kInt64);
  flat = flat.masked_select((flat >= 0) & (flat < num_classes));
  return torch::bincount(flat, {}, num_classes).to(torch::kFloat64);
}

std::vector<double> normalised(const torch::Tensor& counts) {
  const double total = std::max(1.0, counts.sum().item<double>());
  std::vector<double> f(static_cast<size_t>(counts.numel()));
  for (int64_t c = 0; c < counts.numel(); ++c) f[c] = counts[c].item<double>() / total;
  return f;
}

}  // namespace

std::vector<double> class_frequencies(const torch::Tensor& labels, int64_t num_classes) {
  return normalised(class_counts(labels, num_classes));
}

std::vector<double> mixed_class_frequencies(const std::vector<double>& a,
                                            const std::vector<double>& b, double share_b) {
  if (a.size() != b.size() || !(share_b >= 0 && share_b <= 1))
    throw InputError("mixed class frequencies: " + std::to_string(a.size()) + " and " +
                     std::to_string(b.size()) + " classes, share " + std::to_string(share_b));
  std::vector<double> f(a.size());
  for (size_t c = 0; c < f.size(); ++c) f[c] = (1 - share_b) * a[c] + share_b * b[c];
  return f;
}

std::vector<double> fit_logit_offsets(const torch::Tensor& pixel_logits,
                                      const std::vector<double>& target, int iterations) {
  const int64_t k = pixel_logits.size(1);
  if (static_cast<int64_t>(target.size()) != k)
    throw InputError("prior calibration: " + std::to_string(target.size()) +
                     " target frequencies for " + std::to_string(k) + " classes");
  // A class that the labelled set lacks gets a frequency floor instead of log 0.
  constexpr double kFloor = 1e-5, kMaxStep = 0.5;
  const auto logits = pixel_logits.to(torch::kCPU, torch::kFloat32).contiguous();
  std::vector<double> b(static_cast<size_t>(k), 0.0), best = b;
  double best_error = std::numeric_limits<double>::infinity();
  for (int it = 0; it <= iterations; ++it) {
    const auto offsets = torch::tensor(std::vector<float>(b.begin(), b.end()));
    const auto f = class_frequencies((logits + offsets).argmax(1), k);
    double error = 0;
    for (int64_t c = 0; c < k; ++c) error += std::abs(f[c] - target[c]);
    if (error < best_error) best_error = error, best = b;
    if (it == iterations) break;
    // A decaying step: a fixed one cycles around the target when a class's frequency moves fast
    // with its offset; the harmonic decay still reaches offsets of ~14 logits in 300 iterations.
    const double rate = 0.5 / (1.0 + it / 20.0);
    for (int64_t c = 0; c < k; ++c) {
      const double step = std::log(std::max(target[c], kFloor)) - std::log(std::max(f[c], kFloor));
      b[c] += std::clamp(step, -kMaxStep, kMaxStep) * rate;
    }
    for (int64_t c = k - 1; c >= 0; --c)
      b[c] -= b[0];  // only differences matter: pin background at 0
  }
  return best;
}

torch::Tensor apply_logit_offsets(const torch::Tensor& logits, const std::vector<double>& offsets) {
  if (offsets.empty()) return logits;
  TORCH_CHECK(static_cast<int64_t>(offsets.size()) == logits.size(1),
              "apply_logit_offsets: ", offsets.size(), " offsets for ", logits.size(1), " classes");
  auto b = torch::tensor(std::vector<float>(offsets.begin(), offsets.end()),
                         logits.options().dtype(torch::kFloat32));
  return logits + b.to(logits.scalar_type()).view({1, -1, 1, 1});
}

}  // namespace lagm::annotator

// Gradient-matching distances between two lists of gradients (golden
// README kind `lagm_gm_step`, "match"), and the presets that choose which segmenter parameters
// are matched.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

namespace lagm::matching {

enum class MatchMetric { kCosine, kL2, kDotprod };
enum class MatchReduction { kMean, kSum };

/// How the cosine similarity guards small norms.
enum class CosineEps {
  kClampEachNorm,  ///< x.y / (max(|x|, eps) max(|y|, eps)): PyTorch >= 1.12 (the golden vectors)
  kClampProduct,   ///< x.y / max(|x| |y|, eps): PyTorch <= 1.11 (what the authors ran, ~1.10)
};

/// Options of the matcher; defaults are the reference's.
struct MatcherOptions {
  MatchMetric metric = MatchMetric::kCosine;
  MatchReduction reduction = MatchReduction::kMean;
  CosineEps cosine_eps = CosineEps::kClampEachNorm;
  double eps = 1e-6;
  /// Weight of a magnitude term added to every row's distance: (log |x_row| - log |y_row|)^2, norms
  /// clamped at eps. The cosine is blind to how large a class's gradient row is, i.e. to how much
  /// probability the annotator gives a small part; this term is not. 0 (default) = the reference.
  double magnitude_weight = 0;
};

MatchMetric parse_match_metric(const std::string& text);
MatchReduction parse_match_reduction(const std::string& text);
std::string to_string(MatchMetric m);
std::string to_string(MatchReduction r);

/// Distance of one gradient pair: 4-D tensors as [out, in*kh*kw], 3-D as [A, B*C], 2-D as they are;
/// 1-D tensors (biases, BatchNorm) give 0. With kMean the distance is divided by the row count.
torch::Tensor gradient_distance(const torch::Tensor& a, const torch::Tensor& b,
                                const MatcherOptions& options);

/// Sum of the pair distances; with kMean divided by the number of pairs, 1-D ones included (the
/// reference's divisor). Differentiable in `synthetic` (create_graph gradients).
torch::Tensor gradient_match_loss(const std::vector<torch::Tensor>& synthetic,
                                  const std::vector<torch::Tensor>& real,
                                  const MatcherOptions& options);

/// gradient_match_loss(synthetic, real) and its gradient with respect to each synthetic gradient
/// (undefined where a pair's distance is constant: 1-D tensors), pair by pair: in closed form for
/// the cosine without a magnitude term (cosine_distance.h: autograd's gradient up to rounding),
/// else on small graphs of their own; `real` (taken by value: move it in) is released pair by pair.
struct MatchGradient {
  double loss = 0;
  std::vector<torch::Tensor> d_synthetic;
};
MatchGradient match_loss_gradient(const std::vector<torch::Tensor>& synthetic,
                                  std::vector<torch::Tensor> real, const MatcherOptions& options);
/// Backpropagates gradient_match_loss(synthetic, real) + extra into `inputs` (what `synthetic`, a
/// list of create_graph gradients, and `extra` depend on; nothing else's gradient is filled) and
/// returns the matching loss. The inputs get the gradient one backward of the sum would give them,
/// in two steps: the distance's own gradient with respect to `synthetic` (match_loss_gradient),
/// then the double backward from `synthetic` with it (bit for bit one backward's where the
/// distance's gradient is autograd's). The distance's
/// intermediates and `real` (taken by value: move it in) are released before the double backward,
/// where a gradient-matching step's memory peaks. `extra` may be undefined.
double backward_gradient_match(std::vector<torch::Tensor> synthetic,
                               std::vector<torch::Tensor> real, const torch::Tensor& extra,
                               const MatcherOptions& options,
                               const std::vector<torch::Tensor>& inputs);

/// The reference's named regexes (`--gmparam`): head, r5head, ..., down, up, inc, outc, u1, u2, ...
const std::map<std::string, std::string>& gm_param_presets();

/// A preset name becomes its regex; anything else is taken as a regex. Throws InputError for an
/// invalid regex.
std::string resolve_gm_params_regex(const std::string& name_or_regex);

}  // namespace lagm::matching

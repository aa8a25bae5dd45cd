#include "lagm/matching/gradient_matching.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "lagm/core/error.h"
#include "lagm/matching/cosine_distance.h"

namespace lagm::matching {

MatchMetric parse_match_metric(const std::string& text) {
  if (text == "cosine") return MatchMetric::kCosine;
  if (text == "l2") return MatchMetric::kL2;
  if (text == "dotprod") return MatchMetric::kDotprod;
  throw InputError("unknown matcher metric '" + text + "' (expected cosine, l2 or dotprod)");
}

MatchReduction parse_match_reduction(const std::string& text) {
  if (text == "mean") return MatchReduction::kMean;
  if (text == "sum") return MatchReduction::kSum;
  throw InputError("unknown matcher reduction '" + text + "' (expected mean or sum)");
}

std::string to_string(MatchMetric m) {
  return m == MatchMetric::kCosine ? "cosine" : m == MatchMetric::kL2 ? "l2" : "dotprod";
}

std::string to_string(MatchReduction r) { return r == MatchReduction::kMean ? "mean" : "sum"; }

torch::Tensor gradient_distance(const torch::Tensor& a_in, const torch::Tensor& b_in,
                                const MatcherOptions& o) {
  TORCH_CHECK(a_in.sizes() == b_in.sizes(), "gradient_distance: shapes differ: ", a_in.sizes(),
              " vs ", b_in.sizes());
  if (a_in.dim() <= 1) return torch::zeros({}, a_in.options());
  auto a = a_in.reshape({a_in.size(0), -1});
  auto b = b_in.reshape({b_in.size(0), -1});
  const int64_t rows = a.size(0);
  torch::Tensor d;
  switch (o.metric) {
    case MatchMetric::kCosine: {
      torch::Tensor cos;
      if (o.cosine_eps == CosineEps::kClampEachNorm) {
        cos = torch::cosine_similarity(a, b, 1, o.eps);
      } else {
        cos = (a * b).sum(1) / (a.norm(2, 1) * b.norm(2, 1)).clamp_min(o.eps);
      }
      d = (1 - cos).sum();
      break;
    }
    case MatchMetric::kL2:
      d = (a - b).norm(2, 1).sum();
      break;
    case MatchMetric::kDotprod:
      d = -(a * b).sum();
      break;
  }
  if (o.magnitude_weight != 0) {
    const auto log_ratio =
        a.norm(2, 1).clamp_min(o.eps).log() - b.norm(2, 1).clamp_min(o.eps).log();
    d = d + o.magnitude_weight * log_ratio.square().sum();
  }
  return o.reduction == MatchReduction::kMean ? d / static_cast<double>(rows) : d;
}

torch::Tensor gradient_match_loss(const std::vector<torch::Tensor>& synthetic,
                                  const std::vector<torch::Tensor>& real, const MatcherOptions& o) {
  TORCH_CHECK(synthetic.size() == real.size() && !synthetic.empty(),
              "gradient_match_loss: ", synthetic.size(), " synthetic vs ", real.size(),
              " real gradients");
  torch::Tensor total = torch::zeros({}, synthetic[0].options());
  for (size_t i = 0; i < synthetic.size(); ++i)
    total = total + gradient_distance(synthetic[i], real[i], o);
  return o.reduction == MatchReduction::kMean ? total / static_cast<double>(synthetic.size())
                                              : total;
}

MatchGradient match_loss_gradient(const std::vector<torch::Tensor>& synthetic,
                                  std::vector<torch::Tensor> real, const MatcherOptions& options) {
  TORCH_CHECK(synthetic.size() == real.size() && !synthetic.empty(),
              "match_loss_gradient: ", synthetic.size(), " synthetic vs ", real.size(),
              " real gradients");
  const auto n = static_cast<double>(synthetic.size());
  // gradient_match_loss's sum and mean, pair by pair: each pair's distance, and its gradient as the
  // sum's backward hands it (1, divided by n for the mean), in closed form for the cosine
  // (cosine_distance.h), else on a graph of its own; the pair's intermediates and its real
  // gradient are released before the next pair.
  const auto one = torch::ones({}, synthetic[0].options());
  const auto upstream = options.reduction == MatchReduction::kMean ? one / n : one;
  torch::Tensor total = torch::zeros({}, synthetic[0].options());
  MatchGradient m;
  m.d_synthetic.resize(synthetic.size());
  for (size_t i = 0; i < synthetic.size(); ++i) {
    if (synthetic[i].dim() >= 2 && has_closed_form_gradient(options)) {
      auto closed = cosine_distance_and_gradient(synthetic[i].detach(), real[i], options, upstream);
      total = total + closed.distance;
      real[i].reset();
      m.d_synthetic[i] = std::move(closed.gradient);
      continue;
    }
    const auto leaf = synthetic[i].detach().requires_grad_();
    const auto distance = gradient_distance(leaf, real[i], options);
    total = total + distance.detach();
    real[i].reset();
    if (!distance.requires_grad()) continue;  // 1-D tensors: distance 0
    m.d_synthetic[i] = torch::autograd::grad({distance}, {leaf}, {upstream})[0];
  }
  m.loss = (options.reduction == MatchReduction::kMean ? total / n : total).item<double>();
  return m;
}

double backward_gradient_match(std::vector<torch::Tensor> synthetic,
                               std::vector<torch::Tensor> real, const torch::Tensor& extra,
                               const MatcherOptions& options,
                               const std::vector<torch::Tensor>& inputs) {
  auto m = match_loss_gradient(synthetic, std::move(real), options);
  std::vector<torch::Tensor> roots, grads;
  for (size_t i = 0; i < synthetic.size(); ++i) {
    if (!m.d_synthetic[i].defined()) continue;
    roots.push_back(synthetic[i]);
    grads.push_back(std::move(m.d_synthetic[i]));
  }
  synthetic.clear();
  if (extra.defined()) {  // the sum hands `extra` the gradient 1
    roots.push_back(extra);
    grads.push_back(torch::ones({}, extra.options()));
  }
  if (!roots.empty())
    torch::autograd::backward(roots, grads, /*retain_graph=*/false, /*create_graph=*/false, inputs);
  return m.loss;
}

const std::map<std::string, std::string>& gm_param_presets() {
  static const std::map<std::string, std::string> presets = {
      {"all", ".*"},
      {"down", "down.*"},
      {"up", "up.*"},
      {"inc", "inc.*"},
      {"downup12", "down[1-2].*|up[1-2].*"},
      {"downup34", "down[3-4].*|up[3-4].*"},
      {"conv", ".*conv.*"},
      {"bn", ".*bn.*"},
      {"outc", "outc.*"},
      {"u1", "outc.*|down1.*|up4.*"},
      {"u2", "outc.*|down2.*|up3.*"},
      {"head", ".*classifier.*"},
      {"r5head", ".*backbone.layer4.*|.*classifier.*"},
      {"r45head", ".*backbone.layer[3-4].*|.*classifier.*"},
      {"r345head", ".*backbone.layer[2-4].*|.*classifier.*"},
      {"r2345head", ".*backbone.layer[1-4].*|.*classifier.*"},
  };
  return presets;
}

std::string resolve_gm_params_regex(const std::string& name_or_regex) {
  auto it = gm_param_presets().find(name_or_regex);
  std::string regex = it != gm_param_presets().end() ? it->second : name_or_regex;
  // libstdc++'s regex compiler is recursive (one frame per term of a sequence and per nested group)
  // and reads the numbers of repetition counts ({n,m}) and back-references (\n) into a signed
  // integer that overflows on 19 digits. Fuzzing found all three (a stack overflow on a long or
  // deeply nested pattern, the overflow on long numbers), so refuse them before it parses: no
  // parameter name needs a pattern of more than a few dozen characters, nesting beyond a handful
  // of groups or a number of more than six digits.
  constexpr size_t kMaxLength = 1024;
  constexpr int kMaxGroupDepth = 32;
  if (regex.size() > kMaxLength)
    throw InputError("gm_params_regex of " + std::to_string(regex.size()) +
                     " characters: at most " + std::to_string(kMaxLength) + " are accepted");
  size_t run = 0;
  int depth = 0;
  bool escaped = false, in_brackets = false;
  for (const char c : regex) {
    run = std::isdigit(static_cast<unsigned char>(c)) ? run + 1 : 0;
    if (run > 6)
      throw InputError("gm_params_regex '" + regex +
                       "': a number of more than six digits (a repetition count or "
                       "back-reference too large)");
    // Every '(' counts, even escaped or bracketed ("\\(", "[(]"), but only a ')' that closes a
    // group uncounts one: the bound errs on the safe side.
    if (c == '(') ++depth;
    if (c == ')' && !escaped && !in_brackets) depth = std::max(0, depth - 1);
    if (c == '[' && !escaped) in_brackets = true;
    if (c == ']' && !escaped) in_brackets = false;
    escaped = c == '\\' && !escaped;
    if (depth > kMaxGroupDepth)
      throw InputError("gm_params_regex '" + regex + "': groups nested more than " +
                       std::to_string(kMaxGroupDepth) + " deep");
  }
  try {
    std::regex check(regex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw InputError("gm_params_regex '" + regex + "' is not a valid regex: " + e.what());
  }
  return regex;
}

}  // namespace lagm::matching

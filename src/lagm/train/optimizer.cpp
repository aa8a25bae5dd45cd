#include "lagm/train/optimizer.h"

#include <torch/torch.h>

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"

namespace lagm::train {

OptimizerConfig optimizer_config_from_json(const nlohmann::json& j, const std::string& where) {
  core::check_keys(j, {"kind", "class_name", "lr", "momentum", "betas", "eps", "weight_decay"},
                   where);
  OptimizerConfig c;
  std::string kind = core::get_or<std::string>(j, "kind", "", where);
  if (kind.empty()) {  // reference form: {"class_name": "torch.optim.SGD", ...}
    const auto cls = core::get_or<std::string>(j, "class_name", "torch.optim.SGD", where);
    kind = cls == "torch.optim.Adam" ? "adam" : cls == "torch.optim.SGD" ? "sgd" : cls;
  }
  if (kind != "sgd" && kind != "adam")
    throw InputError(where + ": unknown optimizer '" + kind + "' (expected sgd or adam)");
  c.kind = kind == "adam" ? OptimizerKind::kAdam : OptimizerKind::kSgd;
  c.lr = core::get_or<double>(j, "lr", 1e-3, where);
  c.momentum = core::get_or<double>(j, "momentum", kind == "sgd" ? 0.9 : 0.0, where);
  if (j.contains("betas")) {
    const auto b = core::get_or<std::vector<double>>(j, "betas", {}, where);
    if (b.size() != 2) throw InputError(where + ".betas must be [beta1, beta2]");
    c.beta1 = b[0], c.beta2 = b[1];
  }
  c.eps = core::get_or<double>(j, "eps", 1e-8, where);
  c.weight_decay = core::get_or<double>(j, "weight_decay", 0.0, where);
  // NaN fails every comparison below, so each test is written to fail for it too.
  if (!(c.lr > 0 && c.lr <= 10))
    throw InputError(where + ".lr must be in (0, 10] (got " + std::to_string(c.lr) + ")");
  if (!(c.momentum >= 0 && c.momentum < 1)) throw InputError(where + ".momentum must be in [0, 1)");
  if (!(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1))
    throw InputError(where + ".betas must both be in [0, 1)");
  if (!(c.eps > 0 && c.eps < 1)) throw InputError(where + ".eps must be in (0, 1)");
  if (!(c.weight_decay >= 0 && c.weight_decay < 1))
    throw InputError(where + ".weight_decay must be in [0, 1)");
  return c;
}

nlohmann::json to_json(const OptimizerConfig& c) {
  if (c.kind == OptimizerKind::kAdam)
    return {{"kind", "adam"},
            {"lr", c.lr},
            {"betas", {c.beta1, c.beta2}},
            {"eps", c.eps},
            {"weight_decay", c.weight_decay}};
  return {
      {"kind", "sgd"}, {"lr", c.lr}, {"momentum", c.momentum}, {"weight_decay", c.weight_decay}};
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& c,
                                                        const std::vector<torch::Tensor>& params) {
  if (c.kind == OptimizerKind::kAdam)
    return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(c.lr)
                                                            .betas({c.beta1, c.beta2})
                                                            .eps(c.eps)
                                                            .weight_decay(c.weight_decay));
  return std::make_unique<torch::optim::SGD>(
      params, torch::optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
}

namespace {
std::string key_of(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }
}  // namespace

core::TensorDict optimizer_state(torch::optim::Optimizer& optimizer, const OptimizerConfig& c,
                                 const std::vector<std::string>& names, const std::string& prefix) {
  core::TensorDict out;
  const auto& params = optimizer.param_groups().at(0).params();
  TORCH_CHECK(params.size() == names.size(), "optimizer_state: ", names.size(), " names for ",
              params.size(), " params");
  auto& state = optimizer.state();
  for (size_t i = 0; i < params.size(); ++i) {
    auto it = state.find(key_of(params[i]));
    if (it == state.end()) continue;
    const std::string base = prefix + names[i] + ".";
    if (c.kind == OptimizerKind::kAdam) {
      auto& s = static_cast<torch::optim::AdamParamState&>(*it->second);
      out.set(base + "step", torch::tensor(s.step(), torch::kInt64));
      out.set(base + "exp_avg", s.exp_avg());
      out.set(base + "exp_avg_sq", s.exp_avg_sq());
    } else {
      auto& s = static_cast<torch::optim::SGDParamState&>(*it->second);
      if (s.momentum_buffer().defined()) out.set(base + "momentum_buffer", s.momentum_buffer());
    }
  }
  return out;
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const OptimizerConfig& c,
                          const std::vector<std::string>& names, const core::TensorDict& tensors,
                          const std::string& prefix) {
  const auto& params = optimizer.param_groups().at(0).params();
  TORCH_CHECK(params.size() == names.size(), "load_optimizer_state: name count mismatch");
  auto& state = optimizer.state();
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string base = prefix + names[i] + ".";
    const auto dev = params[i].device();
    if (c.kind == OptimizerKind::kAdam) {
      if (!tensors.contains(base + "exp_avg")) continue;
      auto s = std::make_unique<torch::optim::AdamParamState>();
      s->step(tensors.at(base + "step").item<int64_t>());
      s->exp_avg(tensors.at(base + "exp_avg").to(dev).clone());
      s->exp_avg_sq(tensors.at(base + "exp_avg_sq").to(dev).clone());
      state[key_of(params[i])] = std::move(s);
    } else {
      if (!tensors.contains(base + "momentum_buffer")) continue;
      auto s = std::make_unique<torch::optim::SGDParamState>();
      s->momentum_buffer(tensors.at(base + "momentum_buffer").to(dev).clone());
      state[key_of(params[i])] = std::move(s);
    }
  }
}

}  // namespace lagm::train

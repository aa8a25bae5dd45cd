// An annotator of either architecture, as synthesis and evaluation take it: the paper's FPN
// ("arch": "fpn") or DatasetGAN's pixel-wise MLP ensemble ("arch": "mlp_ensemble"). Both map the
// generator's block features to per-pixel logits at the finest feature resolution.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/models/annotator_fpn.h"
#include "lagm/models/annotator_mlp_ensemble.h"

namespace lagm::models {

class Annotator {
 public:
  explicit Annotator(AnnotatorFPN fpn);
  explicit Annotator(AnnotatorMLPEnsemble ensemble);
  /// features -> logits [N, K, H_last, W_last] (an ensemble: log of the mean probability).
  torch::Tensor forward(const std::vector<torch::Tensor>& features);
  torch::nn::Module& module() { return *module_; }
  torch::nn::Module* operator->() { return module_.get(); }
  const std::vector<std::vector<int64_t>>& input_shapes() const;
  int64_t num_classes() const;
  /// The architecture's JSON, "arch" included (what snapshots record).
  nlohmann::json to_json() const;
  /// The FPN, or null for an ensemble.
  AnnotatorFPN fpn() const { return fpn_; }
  /// The ensemble, or null for an FPN.
  AnnotatorMLPEnsemble ensemble() const { return ensemble_; }

 private:
  AnnotatorFPN fpn_{nullptr};
  AnnotatorMLPEnsemble ensemble_{nullptr};
  std::shared_ptr<torch::nn::Module> module_;
};

/// Builds an annotator from its JSON: {"arch": "fpn", ...} (the default; AnnotatorFPNOptions) or
/// {"arch": "mlp_ensemble", "members": 10, "num_classes", "input_shapes"}.
Annotator make_annotator(const nlohmann::json& j, const std::string& where);

/// {"arch": "mlp_ensemble", "members", "num_classes", "input_shapes"}; InputError naming `where`.
AnnotatorMLPEnsembleOptions mlp_ensemble_options_from_json(const nlohmann::json& j,
                                                           const std::string& where);
nlohmann::json to_json(const AnnotatorMLPEnsembleOptions& o);

}  // namespace lagm::models

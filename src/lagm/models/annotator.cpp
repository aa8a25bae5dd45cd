#include "lagm/models/annotator.h"

#include <torch/torch.h>

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"

namespace lagm::models {

Annotator::Annotator(AnnotatorFPN fpn) : fpn_(std::move(fpn)), module_(fpn_.ptr()) {}
Annotator::Annotator(AnnotatorMLPEnsemble ensemble)
    : ensemble_(std::move(ensemble)), module_(ensemble_.ptr()) {}

torch::Tensor Annotator::forward(const std::vector<torch::Tensor>& features) {
  return fpn_ ? fpn_->forward(features) : ensemble_->forward(features);
}

const std::vector<std::vector<int64_t>>& Annotator::input_shapes() const {
  return fpn_ ? fpn_->options.input_shapes() : ensemble_->options.input_shapes();
}

int64_t Annotator::num_classes() const {
  return fpn_ ? fpn_->options.num_classes() : ensemble_->options.num_classes();
}

nlohmann::json Annotator::to_json() const {
  return fpn_ ? models::to_json(fpn_->options) : models::to_json(ensemble_->options);
}

AnnotatorMLPEnsembleOptions mlp_ensemble_options_from_json(const nlohmann::json& j,
                                                           const std::string& where) {
  core::check_keys(j, {"arch", "members", "num_classes", "input_shapes"}, where);
  AnnotatorMLPEnsembleOptions o(
      core::get_or<std::vector<std::vector<int64_t>>>(j, "input_shapes", {}, where),
      core::get_or<int64_t>(j, "num_classes", 0, where));
  o.members(core::get_or<int64_t>(j, "members", 10, where));
  core::require_in_range(o.members(), 1, 100, where + ".members");
  if (j.contains("num_classes"))
    core::require_in_range(o.num_classes(), 1, 255, where + ".num_classes");
  require_feature_shapes(o.input_shapes(), where + ".input_shapes");
  return o;
}

nlohmann::json to_json(const AnnotatorMLPEnsembleOptions& o) {
  return {{"arch", "mlp_ensemble"},
          {"members", o.members()},
          {"num_classes", o.num_classes()},
          {"input_shapes", o.input_shapes()}};
}

Annotator make_annotator(const nlohmann::json& j, const std::string& where) {
  const auto arch = j.contains("arch") ? j["arch"] : nlohmann::json("fpn");
  if (arch == "mlp_ensemble")
    return Annotator(AnnotatorMLPEnsemble(mlp_ensemble_options_from_json(j, where)));
  if (arch == "fpn") return Annotator(AnnotatorFPN(annotator_options_from_json(j, where)));
  throw InputError(where + ".arch: expected fpn or mlp_ensemble, got " + arch.dump());
}

}  // namespace lagm::models

// Golden kind `segmenter_forward`: eval logits, train logits (batch statistics) and the state
// dict after the train-mode forward (running stats, num_batches_tracked).
#include <torch/torch.h>

#include "golden_case.h"
#include "lagm/core/state_dict.h"
#include "lagm/models/segmenter.h"

namespace lagm::golden {

void run_segmenter_forward(const GoldenCase& c, Checker& check) {
  auto seg_json = c.config.at("segmenter");
  seg_json["num_classes"] = c.config.at("num_classes");
  if (c.config.contains("aspp_dropout")) seg_json["aspp_dropout"] = c.config.at("aspp_dropout");
  models::Segmenter S(
      models::segmenter_config_from_json(seg_json, c.dir + "/case.json: segmenter"));
  core::load_state_dict(S.module(), c.weights.with_prefix_stripped("S."));
  S.module().to(c.device);
  const double rtol = c.config.at("tolerance").at("rtol").get<double>();
  const double atol = c.config.at("tolerance").at("atol").get<double>();
  const auto x = c.io.at("in.x").to(c.device);
  torch::NoGradGuard no_grad;
  S.module().eval();
  check.compare("eval", S.forward(x), c.io.at("out.eval"), rtol, atol);
  S.module().train();
  check.compare("train", S.forward(x), c.io.at("out.train"), rtol, atol);
  const auto state = core::state_dict(S.module());
  for (const auto& [name, t] : state.items())
    check.compare("state." + name, t, c.io.at("out.state_after_train_forward.S." + name), rtol,
                  atol);
}

}  // namespace lagm::golden

// Golden kind `stylegan1_forward`: DatasetGAN's StyleGAN1 with the given per-layer noise.
#include <torch/torch.h>

#include "golden_case.h"
#include "lagm/core/state_dict.h"
#include "lagm/models/stylegan1/generator.h"

namespace lagm::golden {

void run_stylegan1_forward(const GoldenCase& c, Checker& check) {
  namespace sg1 = models::stylegan1;
  auto options =
      sg1::stylegan1_options_from_json(c.config.at("generator"), c.dir + "/case.json: generator");
  const auto weights = c.weights.with_prefix_stripped("G.");
  if (weights.contains("truncation.avg_latent") && weights.at("truncation.avg_latent").dim() == 3)
    options.avg_latent_layers = 18;
  sg1::StyleGAN1Generator G(options);
  core::load_state_dict(*G, weights);
  G->eval();
  G->to(c.device);
  sg1::NoiseInputs noise;
  for (const auto& name : G->noise_layer_names()) noise[name] = c.io.at("in.noise.G." + name);
  torch::NoGradGuard no_grad;
  const auto out = G->forward(c.io.at("in.z").to(c.device), models::NoiseMode::kNone, noise);
  const double rtol = c.config.at("tolerance").at("rtol").get<double>();
  const double atol = c.config.at("tolerance").at("atol").get<double>();
  check.compare("ws", out.ws, c.io.at("out.ws"), rtol, atol);
  check.compare("img", out.img, c.io.at("out.img"), rtol, atol);
  for (size_t i = 0; i < out.features.size(); ++i)
    check.compare("features." + std::to_string(i), out.features[i],
                  c.io.at("out.features." + std::to_string(i)), rtol, atol);
}

}  // namespace lagm::golden

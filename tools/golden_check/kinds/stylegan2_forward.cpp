// Golden kind `stylegan2_forward`: mapping + truncation + synthesis, every block's x and img.
#include <torch/torch.h>

#include "golden_case.h"
#include "lagm/core/state_dict.h"
#include "lagm/models/stylegan2/generator.h"

namespace lagm::golden {

void run_stylegan2_forward(const GoldenCase& c, Checker& check) {
  namespace sg2 = models::stylegan2;
  const auto options =
      sg2::generator_options_from_json(c.config.at("generator"), c.dir + "/case.json: generator");
  sg2::Generator G(options);
  core::load_state_dict(*G, c.weights.with_prefix_stripped("G."));
  G->eval();
  G->to(c.device);
  sg2::GenerateOptions go;
  go.truncation.psi = c.config.at("truncation_psi").get<double>();
  if (!c.config.at("truncation_cutoff").is_null())
    go.truncation.cutoff = c.config.at("truncation_cutoff").get<int64_t>();
  go.noise_mode = models::parse_noise_mode(c.config.at("noise_mode").get<std::string>());
  go.force_fp32 = true;
  torch::NoGradGuard no_grad;
  const auto out = G->forward(c.io.at("in.z").to(c.device), go);
  const double rtol = c.config.at("tolerance").at("rtol").get<double>();
  const double atol = c.config.at("tolerance").at("atol").get<double>();
  check.compare("ws", out.ws, c.io.at("out.ws"), rtol, atol);
  check.compare("img", out.synthesis.img, c.io.at("out.img"), rtol, atol);
  const auto& res = G->synthesis->block_resolutions;
  for (size_t i = 0; i < res.size(); ++i) {
    const std::string b = "b" + std::to_string(res[i]);
    check.compare("features." + b, out.synthesis.features[i], c.io.at("out.features." + b), rtol,
                  atol);
    if (c.io.contains("out.block_img." + b))
      check.compare("block_img." + b, out.synthesis.block_images[i], c.io.at("out.block_img." + b),
                    rtol, atol);
  }
}

}  // namespace lagm::golden

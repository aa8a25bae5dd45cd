// Golden kind `lagm_gm_step`: iterations of Algorithm 1 (phase A by gradient matching, phase S on
// annotator labels) from given weights and inputs; losses, A's gradients and both state dicts.
#include <torch/torch.h>

#include "golden_case.h"
#include "lagm/core/error.h"
#include "lagm/core/state_dict.h"
#include "lagm/matching/gm_step.h"
#include "lagm/models/stylegan2/feature_generator.h"
#include "lagm/train/optimizer.h"

namespace lagm::golden {
namespace {

// Replays the generator outputs a case gives (in.t.given.*) in call order: phase A, then phase S.
// Cases built without a StyleGAN (e.g. the torchvision DeepLab ones) test the loop this way.
class GivenGenerator : public models::FeatureGenerator {
 public:
  GivenGenerator(const GoldenCase& c, std::vector<std::vector<int64_t>> shapes,
                 torch::ScalarType dtype)
      : case_(c), shapes_(std::move(shapes)), dtype_(dtype) {}
  models::GeneratedBatch generate(const torch::Tensor&) override {
    const std::string phase = calls_ % 2 == 0 ? "A" : "S";
    const std::string base = "in." + std::to_string(calls_ / 2) + ".given.";
    ++calls_;
    models::GeneratedBatch b;
    b.img = case_.io.at(base + "syn_img_" + phase).to(case_.device, dtype_);
    for (size_t i = 0; i < shapes_.size(); ++i)
      b.features.push_back(case_.io.at(base + "features_" + phase + "." + std::to_string(i))
                               .to(case_.device, dtype_));
    return b;
  }
  int64_t z_dim() const override { return 1; }
  int64_t img_resolution() const override { return shapes_.back()[1]; }
  std::vector<std::vector<int64_t>> feature_shapes() const override { return shapes_; }
  void to(torch::Device) override {}
  torch::Device device() const override { return case_.device; }
  models::SamplingOptions& sampling() override { return sampling_; }
  std::string kind() const override { return "given"; }
  nlohmann::json config() const override { return {}; }

 private:
  const GoldenCase& case_;
  std::vector<std::vector<int64_t>> shapes_;
  models::SamplingOptions sampling_;
  torch::ScalarType dtype_;
  int64_t calls_ = 0;
};

std::unique_ptr<models::FeatureGenerator> make_generator(const GoldenCase& c,
                                                         const std::string& where,
                                                         torch::ScalarType dtype) {
  namespace sg2 = models::stylegan2;
  const auto& cfg = c.config;
  if (cfg.at("generator").value("given", false))
    return std::make_unique<GivenGenerator>(
        c, cfg.at("feature_shapes").get<std::vector<std::vector<int64_t>>>(), dtype);
  if (dtype != torch::kFloat32)
    throw InputError(where + ": compute_dtype float64 needs a given generator");
  sg2::Generator g(sg2::generator_options_from_json(cfg.at("generator"), where + ": generator"));
  core::load_state_dict(*g, c.weights.with_prefix_stripped("G."));
  models::SamplingOptions sampling;
  sampling.truncation_psi = cfg.at("truncation_psi").get<double>();
  sampling.truncation_cutoff =
      cfg.at("truncation_cutoff").is_null()
          ? c10::nullopt
          : c10::optional<int64_t>(cfg.at("truncation_cutoff").get<int64_t>());
  sampling.noise_mode = models::parse_noise_mode(cfg.at("noise_mode").get<std::string>());
  auto G = std::make_unique<sg2::StyleGAN2FeatureGenerator>(g, sampling);
  G->to(c.device);
  return G;
}

}  // namespace

void run_lagm_gm_step(const GoldenCase& c, Checker& check) {
  const auto& cfg = c.config;
  const std::string where = c.dir + "/case.json";
  // "compute_dtype": "float64" cases (tools/python/make_gm_step_case.py --float64) run A and S in
  // double precision from the same float32 weights: exact answers that hold in any summation order.
  const std::string compute_dtype = cfg.value("compute_dtype", "float32");
  if (compute_dtype != "float32" && compute_dtype != "float64")
    throw InputError(where + ": compute_dtype must be float32 or float64");
  const auto dtype = compute_dtype == "float64" ? torch::kFloat64 : torch::kFloat32;
  auto generator = make_generator(c, where, dtype);
  auto& G = *generator;

  const int64_t k = cfg.at("num_classes").get<int64_t>();
  auto a_json = cfg.at("annotator");
  a_json["num_classes"] = k;
  auto a_options = models::annotator_options_from_json(a_json, where + ": annotator");
  a_options.input_shapes(G.feature_shapes());
  models::AnnotatorFPN A(a_options);
  core::load_state_dict(*A, c.weights.with_prefix_stripped("A."));
  A->to(c.device, dtype);

  auto s_json = cfg.at("segmenter");
  s_json["num_classes"] = k;
  if (cfg.contains("aspp_dropout")) s_json["aspp_dropout"] = cfg.at("aspp_dropout");
  models::Segmenter S(models::segmenter_config_from_json(s_json, where + ": segmenter"));
  core::load_state_dict(S.module(), c.weights.with_prefix_stripped("S."));
  S.module().to(c.device, dtype);

  const auto opt_a_cfg = train::optimizer_config_from_json(cfg.at("annotator_optimizer"),
                                                           where + ": annotator_optimizer");
  const auto opt_s_cfg = train::optimizer_config_from_json(cfg.at("segmenter_optimizer"),
                                                           where + ": segmenter_optimizer");
  auto opt_a = train::make_optimizer(opt_a_cfg, A->parameters());
  auto opt_s = train::make_optimizer(opt_s_cfg, S.module().parameters());
  matching::MatcherOptions matcher;
  matcher.metric = matching::parse_match_metric(cfg.at("matcher").at("metric").get<std::string>());
  matcher.reduction =
      matching::parse_match_reduction(cfg.at("matcher").at("reduction").get<std::string>());
  matching::GradientMatchingStep step(G, A, S, *opt_a, *opt_s,
                                      cfg.at("gm_params_regex").get<std::string>(), matcher);
  // lagm's own key, not the reference's: the same case through the low-memory phase A.
  step.set_low_memory(cfg.value("low_memory", false));

  const auto& tol = cfg.at("tolerance");
  const double loss_rtol = tol.at("loss_rtol").get<double>(),
               grad_rtol = tol.at("grad_rtol").get<double>();
  const double grad_atol_frac = tol.at("grad_atol_frac").get<double>();
  const double state_rtol = tol.at("state_rtol").get<double>(),
               state_atol = tol.at("state_atol").get<double>();
  auto scalar = [](double v) { return torch::tensor({v}, torch::kFloat64); };
  auto in = [&](int64_t t, const std::string& name) {
    const auto& x = c.io.at("in." + std::to_string(t) + "." + name);
    return x.is_floating_point() ? x.to(c.device, dtype) : x.to(c.device);
  };

  step.begin_training();
  const int64_t iterations = cfg.at("iterations").get<int64_t>();
  for (int64_t t = 0; t < iterations; ++t) {
    const std::string o = "out." + std::to_string(t) + ".";
    const auto a = step.annotator_phase(in(t, "lbl_img"), in(t, "lbl_mask"), in(t, "syn_z_A"));
    const auto s = step.segmenter_phase(in(t, "syn_z_S"));
    const std::string tt = std::to_string(t) + ".";
    check.compare(tt + "loss_lbl", scalar(a.loss_label), c.io.at(o + "loss_lbl"), loss_rtol, 0);
    check.compare(tt + "loss_syn_A", scalar(a.loss_synthetic), c.io.at(o + "loss_syn_A"), loss_rtol,
                  0);
    check.compare(tt + "loss_gm", scalar(a.loss_gm), c.io.at(o + "loss_gm"), loss_rtol, 0);
    check.compare(tt + "loss_syn_S", scalar(s.loss_synthetic), c.io.at(o + "loss_syn_S"), loss_rtol,
                  0);
    check.compare(tt + "syn_img_A", a.synthetic_images, c.io.at(o + "syn_img_A"), state_rtol,
                  state_atol);
    check.compare(tt + "auto_label_A", a.soft_labels, c.io.at(o + "auto_label_A"), state_rtol,
                  state_atol);
    size_t i = 0;
    for (const auto& p : A->named_parameters()) {
      const auto& expected = c.io.at(o + "grad.A." + p.key());
      const double scale = expected.abs().max().item<double>();
      check.compare(tt + "grad.A." + p.key(), a.annotator_grads[i++], expected, grad_rtol,
                    grad_atol_frac * scale);
    }
    const auto state_a = core::state_dict(*A), state_s = core::state_dict(S.module());
    for (const auto& [name, tensor] : state_a.items())
      check.compare(tt + "state.A." + name, tensor, c.io.at(o + "state.A." + name), state_rtol,
                    state_atol);
    for (const auto& [name, tensor] : state_s.items())
      check.compare(tt + "state.S." + name, tensor, c.io.at(o + "state.S." + name), state_rtol,
                    state_atol);
  }
}

}  // namespace lagm::golden

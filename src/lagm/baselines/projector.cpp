#include "lagm/baselines/projector.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/core/error.h"
#include "lagm/core/memory_budget.h"
#include "lagm/core/numpy_random.h"
#include "lagm/io/image.h"

namespace lagm::baselines {
namespace F = torch::nn::functional;

WStatistics w_statistics(models::FeatureGenerator& g, int64_t samples) {
  if (samples < 1) throw InputError("w_avg_samples must be >= 1");
  // numpy's float64 z and its float32 copy exist at once (then w, not counted here).
  core::require_memory(static_cast<double>(samples) * static_cast<double>(g.z_dim() * 12),
                       "--w-avg-samples " + std::to_string(samples),
                       "the W statistics map every sample at once");
  const auto z =
      core::NumpyRandomState(123).randn({samples, g.z_dim()}).to(torch::kFloat32).to(g.device());
  const auto w = g.map_to_w(z).narrow(1, 0, 1).to(torch::kFloat64);  // [N, 1, C]
  WStatistics s;
  const auto avg = w.mean(0, /*keepdim=*/true);
  s.w_std = std::sqrt((w - avg).square().sum().item<double>() / static_cast<double>(samples));
  s.w_avg = avg.to(torch::kFloat32);
  return s;
}

double projector_learning_rate(double t, const ProjectorOptions& o) {
  double ramp = std::min(1.0, (1.0 - t) / o.lr_rampdown_length);
  ramp = 0.5 - 0.5 * std::cos(ramp * M_PI);
  ramp *= std::min(1.0, t / o.lr_rampup_length);
  return o.initial_learning_rate * ramp;
}

double projector_w_noise_scale(double t, double w_std, const ProjectorOptions& o) {
  const double ramp = std::max(0.0, 1.0 - t / o.noise_ramp_length);
  return w_std * o.initial_noise_factor * ramp * ramp;
}

torch::Tensor noise_regularization(const std::vector<torch::Tensor>& noise_maps) {
  torch::Tensor reg = torch::zeros({});
  for (const auto& map : noise_maps) {
    auto noise = map.unsqueeze(0).unsqueeze(0);  // [1, 1, H, W]
    reg = reg.to(noise.options());
    while (true) {
      reg = reg + (noise * torch::roll(noise, {1}, {3})).mean().square();
      reg = reg + (noise * torch::roll(noise, {1}, {2})).mean().square();
      if (noise.size(2) <= 8) break;
      noise = F::avg_pool2d(noise, F::AvgPool2dFuncOptions(2));
    }
  }
  return reg;
}

double psnr_8bit(const torch::Tensor& a, const torch::Tensor& b) {
  const auto qa = io::quantize_generated(a.detach().cpu()).to(torch::kFloat64);
  const auto qb = io::quantize_generated(b.detach().cpu()).to(torch::kFloat64);
  const double mse = (qa - qb).square().mean().item<double>();
  return mse > 0 ? 10.0 * std::log10(255.0 * 255.0 / mse) : std::numeric_limits<double>::infinity();
}

Projection project(models::FeatureGenerator& g, const torch::Tensor& target,
                   const WStatistics& stats, const ProjectorOptions& o,
                   const std::function<void(int64_t, double)>& progress) {
  if (o.steps < 1) throw InputError("projection steps must be >= 1");
  const int64_t r = g.img_resolution();
  if (target.dim() != 4 || target.size(0) != 1 || target.size(1) != 3 || target.size(2) != r ||
      target.size(3) != r)
    throw InputError("the image to project must be 3 x " + std::to_string(r) + " x " +
                     std::to_string(r) + " (the generator's resolution)");
  const auto device = g.device();
  const auto goal = target.to(device, torch::kFloat32);
  const int64_t num_ws = g.map_to_w(torch::zeros({1, g.z_dim()}, goal.options())).size(1);

  // The generator's noise maps are optimised in place (as the reference does) and put back after.
  auto maps = g.noise_buffers();
  std::vector<torch::Tensor> saved;
  saved.reserve(maps.size());
  for (const auto& m : maps) saved.push_back(m.clone());
  auto draws = at::detail::createCPUGenerator(o.seed);
  {
    torch::NoGradGuard no_grad;
    for (auto& m : maps)
      m.copy_(at::normal(0.0, 1.0, m.sizes(), draws, torch::TensorOptions(torch::kFloat32)));
  }
  for (auto& m : maps) m.requires_grad_(true);

  auto w_opt = stats.w_avg.to(device).clone();  // [1, 1, C]
  if (o.w_plus) w_opt = w_opt.repeat({1, num_ws, 1}).contiguous();
  w_opt.requires_grad_(true);
  std::vector<torch::Tensor> params{w_opt};
  params.insert(params.end(), maps.begin(), maps.end());
  torch::optim::Adam adam(params,
                          torch::optim::AdamOptions(o.initial_learning_rate).betas({0.9, 0.999}));

  Projection p;
  try {
    for (int64_t step = 0; step < o.steps; ++step) {
      const double t = static_cast<double>(step) / static_cast<double>(o.steps);
      const double lr = projector_learning_rate(t, o);
      for (auto& group : adam.param_groups())
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      const auto w_noise =
          at::normal(0.0, 1.0, w_opt.sizes(), draws, torch::TensorOptions(torch::kFloat32))
              .to(device) *
          projector_w_noise_scale(t, stats.w_std, o);
      auto ws = w_opt + w_noise;
      if (!o.w_plus) ws = ws.repeat({1, num_ws, 1});
      const auto image = g.synthesize(ws).img;
      const auto distance = (image - goal).square().mean();
      const auto loss = distance + o.regularize_noise_weight * noise_regularization(maps);
      adam.zero_grad();
      loss.backward();
      adam.step();
      {
        torch::NoGradGuard no_grad;
        for (auto& m : maps) {
          m.sub_(m.mean());
          m.mul_(m.square().mean().rsqrt());
        }
      }
      p.distance = distance.item<double>();
      if (!std::isfinite(p.distance))
        throw Error("projection diverged at step " + std::to_string(step));
      if (progress) progress(step + 1, p.distance);
    }
    torch::NoGradGuard no_grad;
    p.ws = (o.w_plus ? w_opt : w_opt.repeat({1, num_ws, 1})).detach().clone();
    for (auto& m : maps) p.noise.push_back(m.detach().clone());
    p.image = g.synthesize(p.ws).img.detach();
    p.distance = (p.image - goal).square().mean().item<double>();
  } catch (...) {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < maps.size(); ++i) maps[i].requires_grad_(false), maps[i].copy_(saved[i]);
    throw;
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < maps.size(); ++i) maps[i].requires_grad_(false), maps[i].copy_(saved[i]);
  return p;
}

}  // namespace lagm::baselines

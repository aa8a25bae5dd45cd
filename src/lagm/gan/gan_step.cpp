#include "lagm/gan/gan_step.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/core/error.h"
#include "lagm/core/module_grads.h"
#include "lagm/core/squared.h"
#include "lagm/train/precision.h"
#include "lagm/train/training_state.h"

namespace lagm::gan {
namespace {

using core::clear_grads;
using core::set_requires_grad;

train::OptimizerConfig adam(double lr, double beta1, double beta2, double reg_ratio) {
  // Lazy regularisation (stylegan2-ada): with a reg step every k main steps, lr and betas are
  // rescaled by k / (k + 1) so the pair behaves like one step per iteration.
  train::OptimizerConfig c;
  c.kind = train::OptimizerKind::kAdam;
  c.lr = lr * reg_ratio;
  c.beta1 = std::pow(beta1, reg_ratio);
  c.beta2 = std::pow(beta2, reg_ratio);
  c.eps = 1e-8;
  return c;
}

void copy_into(torch::nn::Module& dst, const torch::nn::Module& src) {
  torch::NoGradGuard no_grad;
  auto s = src.parameters(), d = dst.parameters();
  for (size_t i = 0; i < s.size(); ++i) d[i].copy_(s[i]);
  auto sb = src.buffers(), db = dst.buffers();
  for (size_t i = 0; i < sb.size(); ++i) db[i].copy_(sb[i]);
}

/// One optimizer step down `loss` for `module`'s parameters (the others' gradients untouched).
void descend(const torch::Tensor& loss, torch::nn::Module& module,
             torch::optim::Optimizer& optimizer) {
  clear_grads(module);
  loss.backward();
  optimizer.step();
}

}  // namespace

GanStep::GanStep(const GanTrainConfig& config, torch::Device device)
    : config_(config), device_(device) {
  G = models::stylegan2::Generator(config_.generator);
  G_ema = models::stylegan2::Generator(config_.generator);
  D = Discriminator(config_.discriminator);
  G->to(device_);
  G_ema->to(device_);
  D->to(device_);
  G_ema->eval();
  set_requires_grad(*G_ema, false);
  copy_into(*G_ema, *G);
  if (config_.channels_last) {
    train::to_channels_last(*G);
    train::to_channels_last(*G_ema);
    train::to_channels_last(*D);
  }
  g_opt_config = adam(config_.g_lr, config_.beta1, config_.beta2, 1.0);
  const double d_ratio =
      static_cast<double>(config_.r1_interval) / static_cast<double>(config_.r1_interval + 1);
  d_opt_config = adam(config_.d_lr, config_.beta1, config_.beta2, d_ratio);
  g_opt = train::make_optimizer(g_opt_config, G->parameters());
  d_opt = train::make_optimizer(d_opt_config, D->parameters());
  g_names = train::parameter_names(*G);
  d_names = train::parameter_names(*D);
}

torch::Tensor GanStep::generate(const torch::Tensor& z) {
  auto ws = G->mapping->forward(z);
  if (config_.style_mixing > 0 && torch::rand({}).item<double>() < config_.style_mixing) {
    const int64_t num_ws = ws.size(1);
    const int64_t cutoff = torch::randint(1, num_ws, {}, torch::kLong).item<int64_t>();
    // The mixing latents do not update w_avg (the reference's skip_w_avg_update).
    G->mapping->eval();
    auto ws2 = G->mapping->forward(torch::randn_like(z));
    G->mapping->train();
    ws = torch::cat({ws.narrow(1, 0, cutoff), ws2.narrow(1, cutoff, num_ws - cutoff)}, 1);
  }
  return G->synthesis->forward(ws, models::NoiseMode::kRandom, false, /*fused_modconv=*/false).img;
}

double GanStep::generator_phase() {
  // G: make D call the fakes real.
  set_requires_grad(*G, true);
  set_requires_grad(*D, false);
  torch::Tensor logits;
  {
    const train::Bf16Autocast autocast(config_.bf16, device_);
    logits = D->forward(generate(torch::randn({config_.batch, config_.generator.z_dim}, device_)));
  }
  auto loss = torch::nn::functional::softplus(-logits.to(torch::kFloat32)).mean();
  const double value = loss.item<double>();
  require_finite_loss(value, "the generator loss", "iteration " + std::to_string(iteration_));
  descend(loss, *G, *g_opt);
  return value;
}

double GanStep::discriminator_phase(const torch::Tensor& real) {
  // D: fakes down, reals up.
  set_requires_grad(*G, false);
  set_requires_grad(*D, true);
  torch::Tensor fake, logits_fake, logits_real;
  {
    const train::Bf16Autocast autocast(config_.bf16, device_);
    {
      torch::NoGradGuard no_grad;
      fake = generate(torch::randn({config_.batch, config_.generator.z_dim}, device_));
    }
    logits_fake = D->forward(fake);
    logits_real = D->forward(real);
  }
  auto loss_fake = torch::nn::functional::softplus(logits_fake.to(torch::kFloat32)).mean();
  auto loss_real = torch::nn::functional::softplus(-logits_real.to(torch::kFloat32)).mean();
  auto loss = loss_fake + loss_real;
  const double value = loss.item<double>();
  require_finite_loss(value, "the discriminator loss", "iteration " + std::to_string(iteration_));
  descend(loss, *D, *d_opt);
  return value;
}

double GanStep::r1_phase(const torch::Tensor& real) {
  // Lazy R1 on reals: gamma/2 |grad_x D(x)|^2, scaled by the interval.
  set_requires_grad(*D, true);
  auto x = real.detach().requires_grad_(true);
  auto logits = D->forward(x);
  auto grad = torch::autograd::grad({logits.sum()}, {x}, {}, /*retain_graph=*/true,
                                    /*create_graph=*/true)[0];
  auto penalty = core::squared(grad).sum({1, 2, 3});
  auto loss =
      penalty.mean() * (config_.resolved_r1_gamma() / 2 * static_cast<double>(config_.r1_interval));
  descend(loss, *D, *d_opt);
  return penalty.mean().item<double>();
}

void GanStep::update_ema(int64_t nimg_after) {
  double ema_nimg = config_.resolved_ema_kimg() * 1000;
  if (config_.ema_rampup > 0)
    ema_nimg = std::min(ema_nimg, static_cast<double>(nimg_after) * config_.ema_rampup);
  const double beta = std::pow(0.5, static_cast<double>(config_.batch) / std::max(ema_nimg, 1e-8));
  torch::NoGradGuard no_grad;
  auto src = G->parameters(), dst = G_ema->parameters();
  for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(torch::lerp(src[i], dst[i], beta));
  auto src_b = G->buffers(), dst_b = G_ema->buffers();
  for (size_t i = 0; i < src_b.size(); ++i) dst_b[i].copy_(src_b[i]);
}

GanStepLosses GanStep::step(const torch::Tensor& real, int64_t iteration, int64_t nimg_after) {
  iteration_ = iteration;
  G->train();
  D->train();
  GanStepLosses out;
  out.g = generator_phase();
  out.d = discriminator_phase(real);
  if (iteration % config_.r1_interval == 0) out.r1 = r1_phase(real);
  update_ema(nimg_after);
  return out;
}

}  // namespace lagm::gan

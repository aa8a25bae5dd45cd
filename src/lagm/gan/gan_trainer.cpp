#include "lagm/gan/gan_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/module_grads.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/gan/discriminator.h"
#include "lagm/gan/real_images.h"
#include "lagm/io/grid.h"
#include "lagm/io/image.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/stylegan2/generator.h"
#include "lagm/toy/render_batch.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/precision.h"
#include "lagm/train/rate_meter.h"
#include "lagm/train/run_folder.h"
#include "lagm/train/training_state.h"

namespace lagm::gan {
namespace {

namespace fs = std::filesystem;
using models::stylegan2::Generator;

constexpr const char* kStateFile = "train_state.safetensors";
constexpr const char* kGeneratorFile = "generator.safetensors";

using core::clear_grads;
using core::set_requires_grad;

using train::Bf16Autocast;

train::OptimizerConfig adam(double lr, double beta1, double beta2, double reg_ratio) {
  // Lazy regularisation (stylegan2-ada): with a reg step every k main steps, lr and betas are
  // rescaled by k / (k + 1) so the pair behaves like one step per iteration.
  train::OptimizerConfig c;
  c.kind = "adam";
  c.lr = lr * reg_ratio;
  c.beta1 = std::pow(beta1, reg_ratio);
  c.beta2 = std::pow(beta2, reg_ratio);
  c.eps = 1e-8;
  return c;
}

class GanRun {
 public:
  GanRun(GanTrainConfig config, const train::RunFolder& folder, torch::Device device,
         ProgressFn progress)
      : config_(std::move(config)),
        folder_(folder),
        device_(device),
        progress_(std::move(progress)),
        real_(config_) {
    G_ = Generator(config_.generator);
    G_ema_ = Generator(config_.generator);
    D_ = Discriminator(config_.discriminator);
    G_->to(device_);
    G_ema_->to(device_);
    D_->to(device_);
    G_ema_->eval();
    set_requires_grad(*G_ema_, false);
    copy_into(*G_ema_, *G_);
    if (config_.channels_last) {
      train::to_channels_last(*G_);
      train::to_channels_last(*G_ema_);
      train::to_channels_last(*D_);
    }
    g_opt_config_ = adam(config_.g_lr, config_.beta1, config_.beta2, 1.0);
    const double d_ratio =
        static_cast<double>(config_.r1_interval) / static_cast<double>(config_.r1_interval + 1);
    d_opt_config_ = adam(config_.d_lr, config_.beta1, config_.beta2, d_ratio);
    g_opt_ = train::make_optimizer(g_opt_config_, G_->parameters());
    d_opt_ = train::make_optimizer(d_opt_config_, D_->parameters());
    g_names_ = train::parameter_names(*G_);
    d_names_ = train::parameter_names(*D_);
    auto grid_gen = at::detail::createCPUGenerator(0x6A1D);
    grid_z_ = torch::randn({32, config_.generator.z_dim}, grid_gen).to(device_);
  }

  void load_state(const core::SafetensorsFile& file, int64_t nimg, int64_t iteration,
                  double seconds) {
    core::load_state_dict(*G_, file.tensors.with_prefix_stripped("G."));
    core::load_state_dict(*D_, file.tensors.with_prefix_stripped("D."));
    core::load_state_dict(*G_ema_, file.tensors.with_prefix_stripped("G_ema."));
    train::load_optimizer_state(*g_opt_, g_opt_config_, g_names_, file.tensors, "optG.");
    train::load_optimizer_state(*d_opt_, d_opt_config_, d_names_, file.tensors, "optD.");
    train::restore_rng_states(file.tensors, device_);
    cur_nimg_ = nimg;
    iteration_ = iteration;
    seconds_before_ = seconds;
    next_snapshot_nimg_ = (cur_nimg_ / snapshot_nimg() + 1) * snapshot_nimg();
  }

  GanTrainResult run() {
    const int64_t total_nimg = static_cast<int64_t>(std::llround(config_.total_kimg * 1000));
    // The session's clock: rate, ETA and the run's seconds (added to those of earlier sessions).
    train::RateMeter meter(cur_nimg_, total_nimg);
    if (next_snapshot_nimg_ == 0) next_snapshot_nimg_ = snapshot_nimg();
    if (cur_nimg_ == 0) write_samples();
    double sum_g = 0, sum_d = 0, sum_r1 = 0;
    int64_t count = 0, count_r1 = 0, log_from_nimg = cur_nimg_;
    auto log_start = std::chrono::steady_clock::now();
    GanTrainResult result;
    while (cur_nimg_ < total_nimg) {
      const auto losses = step();
      sum_g += losses.g, sum_d += losses.d, ++count;
      if (losses.r1 >= 0) sum_r1 += losses.r1, ++count_r1;
      meter.update(cur_nimg_);
      const auto now = std::chrono::steady_clock::now();
      const double session = meter.elapsed_seconds();
      if (progress_ && (iteration_ % 10 == 0 || cur_nimg_ >= total_nimg)) {
        char line[256];
        std::snprintf(line, sizeof line, "kimg %.1f/%.1f  %.1f img/s  ETA %s  loss G %.3f D %.3f",
                      static_cast<double>(cur_nimg_) / 1000, config_.total_kimg,
                      meter.units_per_second(), meter.eta_text().c_str(), losses.g, losses.d);
        progress_(line);
      }
      // stats.jsonl: about one line per kimg.
      if (cur_nimg_ - log_from_nimg >= 1000 || cur_nimg_ >= total_nimg) {
        const double dt = std::chrono::duration<double>(now - log_start).count();
        nlohmann::json stats = {
            {"kimg", static_cast<double>(cur_nimg_) / 1000},
            {"seconds", seconds_before_ + session},
            {"img_per_s", static_cast<double>(cur_nimg_ - log_from_nimg) / std::max(dt, 1e-9)},
            {"loss_G", sum_g / static_cast<double>(count)},
            {"loss_D", sum_d / static_cast<double>(count)},
            {"r1_penalty", count_r1 ? sum_r1 / static_cast<double>(count_r1) : 0.0}};
        folder_.record("stats.jsonl", stats);
        sum_g = sum_d = sum_r1 = 0, count = count_r1 = 0;
        log_from_nimg = cur_nimg_;
        log_start = now;
      }
      if (cur_nimg_ >= next_snapshot_nimg_ || cur_nimg_ >= total_nimg) {
        save(seconds_before_ + session);
        write_samples();
        next_snapshot_nimg_ += snapshot_nimg();
      }
      result.last_loss_g = losses.g;
      result.last_loss_d = losses.d;
    }
    const double session = meter.elapsed_seconds();
    result.run_dir = folder_.path();
    result.images_shown = cur_nimg_;
    result.seconds = seconds_before_ + session;
    result.images_per_second = meter.units_per_second();
    return result;
  }

 private:
  struct StepLosses {
    double g = 0, d = 0, r1 = -1;
  };

  int64_t snapshot_nimg() const {
    return std::max<int64_t>(1, std::llround(config_.snapshot_kimg * 1000));
  }

  /// G(z) with style mixing (one random crossover point for the whole batch, as the reference).
  torch::Tensor generate(const torch::Tensor& z) {
    auto ws = G_->mapping->forward(z);
    if (config_.style_mixing > 0 && torch::rand({}).item<double>() < config_.style_mixing) {
      const int64_t num_ws = ws.size(1);
      const int64_t cutoff = torch::randint(1, num_ws, {}, torch::kLong).item<int64_t>();
      // The mixing latents do not update w_avg (the reference's skip_w_avg_update).
      G_->mapping->eval();
      auto ws2 = G_->mapping->forward(torch::randn_like(z));
      G_->mapping->train();
      ws = torch::cat({ws.narrow(1, 0, cutoff), ws2.narrow(1, cutoff, num_ws - cutoff)}, 1);
    }
    return G_->synthesis->forward(ws, models::NoiseMode::kRandom, false, /*fused_modconv=*/false)
        .img;
  }

  StepLosses step() {
    const int64_t batch = config_.batch;
    StepLosses out;
    auto real = real_.batch(cur_nimg_, batch).to(device_);
    if (config_.channels_last) real = real.contiguous(at::MemoryFormat::ChannelsLast);
    G_->train();
    D_->train();

    // G: make D call the fakes real.
    set_requires_grad(*G_, true);
    set_requires_grad(*D_, false);
    {
      torch::Tensor logits;
      {
        Bf16Autocast autocast(config_.bf16, device_);
        logits = D_->forward(generate(torch::randn({batch, config_.generator.z_dim}, device_)));
      }
      auto loss = torch::nn::functional::softplus(-logits.to(torch::kFloat32)).mean();
      out.g = loss.item<double>();
      require_finite_loss(out.g, "the generator loss", "iteration " + std::to_string(iteration_));
      clear_grads(*G_);
      loss.backward();
      g_opt_->step();
    }

    // D: fakes down, reals up.
    set_requires_grad(*G_, false);
    set_requires_grad(*D_, true);
    {
      torch::Tensor fake, logits_fake, logits_real;
      {
        Bf16Autocast autocast(config_.bf16, device_);
        {
          torch::NoGradGuard no_grad;
          fake = generate(torch::randn({batch, config_.generator.z_dim}, device_));
        }
        logits_fake = D_->forward(fake);
        logits_real = D_->forward(real);
      }
      auto loss_fake = torch::nn::functional::softplus(logits_fake.to(torch::kFloat32)).mean();
      auto loss_real = torch::nn::functional::softplus(-logits_real.to(torch::kFloat32)).mean();
      auto loss = loss_fake + loss_real;
      out.d = loss.item<double>();
      require_finite_loss(out.d, "the discriminator loss",
                          "iteration " + std::to_string(iteration_));
      clear_grads(*D_);
      loss.backward();
      d_opt_->step();
    }

    // Lazy R1 on reals: gamma/2 |grad_x D(x)|^2, scaled by the interval.
    if (iteration_ % config_.r1_interval == 0) {
      auto x = real.detach().requires_grad_(true);
      auto logits = D_->forward(x);
      auto grad = torch::autograd::grad({logits.sum()}, {x}, {}, /*retain_graph=*/true,
                                        /*create_graph=*/true)[0];
      auto penalty = grad.square().sum({1, 2, 3});
      auto loss = penalty.mean() *
                  (config_.resolved_r1_gamma() / 2 * static_cast<double>(config_.r1_interval));
      clear_grads(*D_);
      loss.backward();
      d_opt_->step();
      out.r1 = penalty.mean().item<double>();
    }

    cur_nimg_ += batch;
    ++iteration_;
    update_ema();
    return out;
  }

  void update_ema() {
    double ema_nimg = config_.resolved_ema_kimg() * 1000;
    if (config_.ema_rampup > 0)
      ema_nimg = std::min(ema_nimg, static_cast<double>(cur_nimg_) * config_.ema_rampup);
    const double beta =
        std::pow(0.5, static_cast<double>(config_.batch) / std::max(ema_nimg, 1e-8));
    torch::NoGradGuard no_grad;
    auto src = G_->parameters(), dst = G_ema_->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(torch::lerp(src[i], dst[i], beta));
    auto src_b = G_->buffers(), dst_b = G_ema_->buffers();
    for (size_t i = 0; i < src_b.size(); ++i) dst_b[i].copy_(src_b[i]);
  }

  static void copy_into(torch::nn::Module& dst, const torch::nn::Module& src) {
    torch::NoGradGuard no_grad;
    auto s = src.parameters(), d = dst.parameters();
    for (size_t i = 0; i < s.size(); ++i) d[i].copy_(s[i]);
    auto sb = src.buffers(), db = dst.buffers();
    for (size_t i = 0; i < sb.size(); ++i) db[i].copy_(sb[i]);
  }

  void write_samples() {
    torch::NoGradGuard no_grad;
    models::stylegan2::GenerateOptions options;
    options.noise_mode = models::NoiseMode::kConst;
    auto out = G_ema_->forward(grid_z_, options);
    char name[64];
    std::snprintf(name, sizeof name, "samples-%06lld.png",
                  static_cast<long long>(cur_nimg_ / 1000));
    io::write_png(folder_.file(name),
                  io::tile_images(io::to_uint8_image(out.synthesis.img.cpu()), 8));
  }

  void save(double seconds) {
    const nlohmann::json extra = {{"trained_by", "lagm train-gan"},
                                  {"kimg", static_cast<double>(cur_nimg_) / 1000},
                                  {"train_config", to_json(config_)}};
    models::write_model_checkpoint(folder_.file(kGeneratorFile), "stylegan2",
                                   models::stylegan2::to_json(config_.generator), *G_ema_, extra);
    core::TensorDict t;
    t.update(core::state_dict(*G_), "G.");
    t.update(core::state_dict(*D_), "D.");
    t.update(core::state_dict(*G_ema_), "G_ema.");
    t.update(train::optimizer_state(*g_opt_, g_opt_config_, g_names_, "optG."));
    t.update(train::optimizer_state(*d_opt_, d_opt_config_, d_names_, "optD."));
    train::save_rng_states(t, device_);
    const nlohmann::json meta = {{"kind", "gan_train_state"},
                                 {"config", to_json(config_)},
                                 {"cur_nimg", cur_nimg_},
                                 {"iteration", iteration_},
                                 {"seconds", seconds}};
    core::write_safetensors(folder_.file(kStateFile), t, {{"lagm", meta.dump()}});
  }

  GanTrainConfig config_;
  const train::RunFolder& folder_;
  torch::Device device_;
  ProgressFn progress_;
  RealImages real_;
  Generator G_{nullptr}, G_ema_{nullptr};
  Discriminator D_{nullptr};
  train::OptimizerConfig g_opt_config_, d_opt_config_;
  std::unique_ptr<torch::optim::Optimizer> g_opt_, d_opt_;
  std::vector<std::string> g_names_, d_names_;
  torch::Tensor grid_z_;
  int64_t cur_nimg_ = 0, iteration_ = 0, next_snapshot_nimg_ = 0;
  double seconds_before_ = 0;
};

}  // namespace

GanTrainResult train_gan(const GanTrainConfig& config, const std::string& run_dir,
                         torch::Device device, const ProgressFn& progress) {
  if (fs::exists(fs::path(run_dir) / kStateFile))
    throw UsageError(run_dir + ": already holds a GAN training run; continue it with --resume " +
                     run_dir);
  torch::manual_seed(config.seed);
  const train::RunFolder folder(run_dir);
  folder.write_config(to_json(config));
  GanRun run(config, folder, device, progress);
  return run.run();
}

GanTrainResult resume_gan_training(const std::string& run_dir, torch::Device device,
                                   double total_kimg, const ProgressFn& progress) {
  const std::string path = (fs::path(run_dir) / kStateFile).string();
  if (!fs::exists(path)) throw InputError(path + ": no GAN training state to resume");
  const train::RunFolder folder(run_dir);
  auto file = core::read_safetensors(path);
  auto it = file.metadata.find("lagm");
  const auto meta = it == file.metadata.end() ? nlohmann::json()
                                              : nlohmann::json::parse(it->second, nullptr, false);
  if (!meta.is_object() || meta.value("kind", "") != "gan_train_state")
    throw InputError(path + ": not a lagm train-gan state (metadata kind is not gan_train_state)");
  file.tensors.source = path;
  file.tensors.require_finite();
  GanTrainConfig config = gan_train_config_from_json(meta.at("config"), path);
  if (total_kimg > 0) config.total_kimg = total_kimg;
  GanRun run(config, folder, device, progress);
  const auto cur_nimg = meta.at("cur_nimg").get<int64_t>();
  run.load_state(file, cur_nimg, meta.at("iteration").get<int64_t>(),
                 meta.at("seconds").get<double>());
  // The images shown after the saved state are shown again now: drop their old stats lines.
  folder.forget_records_after("kimg", static_cast<double>(cur_nimg) / 1000, {"stats.jsonl"});
  return run.run();
}

}  // namespace lagm::gan

#include "lagm/gan/gan_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/gan/gan_step.h"
#include "lagm/gan/real_images.h"
#include "lagm/io/grid.h"
#include "lagm/io/image.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/stylegan2/generator.h"
#include "lagm/toy/render_batch.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/run_folder.h"
#include "lagm/train/training_loop.h"
#include "lagm/train/training_state.h"

namespace lagm::gan {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStateFile = "train_state.safetensors";
constexpr const char* kGeneratorFile = "generator.safetensors";

class GanRun : public train::Trainable {
 public:
  GanRun(GanTrainConfig config, const train::RunFolder& folder, torch::Device device,
         ProgressFn progress)
      : config_(std::move(config)),
        folder_(folder),
        device_(device),
        progress_(std::move(progress)),
        real_(config_),
        step_(config_, device_) {
    auto grid_gen = at::detail::createCPUGenerator(0x6A1D);
    grid_z_ = torch::randn({32, config_.generator.z_dim}, grid_gen).to(device_);
  }

  void load_state(const core::SafetensorsFile& file, int64_t nimg, int64_t iteration,
                  double seconds) {
    core::load_state_dict(*step_.G, file.tensors.with_prefix_stripped("G."));
    core::load_state_dict(*step_.D, file.tensors.with_prefix_stripped("D."));
    core::load_state_dict(*step_.G_ema, file.tensors.with_prefix_stripped("G_ema."));
    train::load_optimizer_state(*step_.g_opt, step_.g_opt_config, step_.g_names, file.tensors,
                                "optG.");
    train::load_optimizer_state(*step_.d_opt, step_.d_opt_config, step_.d_names, file.tensors,
                                "optD.");
    train::restore_rng_states(file.tensors, device_);
    cur_nimg_ = nimg;
    iteration_ = iteration;
    seconds_before_ = seconds;
  }

  GanTrainResult run() {
    if (cur_nimg_ == 0) write_samples();
    train::LoopSchedule schedule;
    schedule.unit = "image";
    schedule.done = cur_nimg_;
    schedule.total = std::llround(config_.total_kimg * 1000);
    schedule.units_per_tick = 1000;  // stats.jsonl: about one line per kimg
    schedule.units_per_save = snapshot_nimg();
    const int64_t start_nimg = cur_nimg_;
    const double session = train::run_training_loop(*this, schedule);
    GanTrainResult result = last_;
    result.run_dir = folder_.path();
    result.images_shown = cur_nimg_;
    result.seconds = seconds_before_ + session;
    result.images_per_second =
        static_cast<double>(cur_nimg_ - start_nimg) / std::max(session, 1e-9);
    return result;
  }

  // One batch of real images: G and D step once.
  int64_t run_unit(int64_t /*done*/, train::TickLosses& losses) override {
    auto real = real_.batch(cur_nimg_, config_.batch).to(device_);
    if (config_.channels_last) real = real.contiguous(at::MemoryFormat::ChannelsLast);
    const auto l = step_.step(real, iteration_, cur_nimg_ + config_.batch);
    cur_nimg_ += config_.batch;
    ++iteration_;
    losses.add("loss_G", l.g, "G's loss");
    losses.add("loss_D", l.d, "D's loss");
    if (l.r1 >= 0) losses.add("r1_penalty", l.r1, "the R1 penalty");
    last_.last_loss_g = l.g;
    last_.last_loss_d = l.d;
    return config_.batch;
  }

  void tick(const train::LoopState& state) override {
    const double r1 = state.losses.mean("r1_penalty");
    folder_.record("stats.jsonl", {{"kimg", static_cast<double>(state.done) / 1000},
                                   {"seconds", seconds_before_ + state.meter.elapsed_seconds()},
                                   {"img_per_s", 1.0 / std::max(state.seconds_per_unit, 1e-12)},
                                   {"loss_G", state.losses.mean("loss_G")},
                                   {"loss_D", state.losses.mean("loss_D")},
                                   {"r1_penalty", std::isnan(r1) ? 0.0 : r1}});
    if (!progress_) return;
    char line[256];
    std::snprintf(line, sizeof line, "kimg %.1f/%.1f  %.1f img/s  ETA %s  loss G %.3f D %.3f",
                  static_cast<double>(state.done) / 1000, config_.total_kimg,
                  state.meter.units_per_second(), state.meter.eta_text().c_str(),
                  state.losses.mean("loss_G"), state.losses.mean("loss_D"));
    progress_(line);
  }

  void save(const train::LoopState& state) override {
    save_state(seconds_before_ + state.meter.elapsed_seconds());
    write_samples();
  }

 private:
  int64_t snapshot_nimg() const {
    return std::max<int64_t>(1, std::llround(config_.snapshot_kimg * 1000));
  }

  void write_samples() {
    torch::NoGradGuard no_grad;
    models::stylegan2::GenerateOptions options;
    options.noise_mode = models::NoiseMode::kConst;
    auto out = step_.G_ema->forward(grid_z_, options);
    char name[64];
    std::snprintf(name, sizeof name, "samples-%06lld.png",
                  static_cast<long long>(cur_nimg_ / 1000));
    io::write_png(folder_.file(name),
                  io::tile_images(io::to_uint8_image(out.synthesis.img.cpu()), 8));
  }

  void save_state(double seconds) {
    const nlohmann::json extra = {{"trained_by", "lagm train-gan"},
                                  {"kimg", static_cast<double>(cur_nimg_) / 1000},
                                  {"train_config", to_json(config_)}};
    // The latest EMA generator, and one kept per snapshot (as NVIDIA's trainer keeps its network
    // snapshots), so that a run's generators can be measured against its length afterwards.
    char kept[64];
    std::snprintf(kept, sizeof kept, "generator-%06lld.safetensors",
                  static_cast<long long>(cur_nimg_ / 1000));
    for (const std::string& name : {std::string(kGeneratorFile), std::string(kept)})
      models::write_model_checkpoint(folder_.file(name), "stylegan2",
                                     models::stylegan2::to_json(config_.generator), *step_.G_ema,
                                     extra);
    core::TensorDict t;
    t.update(core::state_dict(*step_.G), "G.");
    t.update(core::state_dict(*step_.D), "D.");
    t.update(core::state_dict(*step_.G_ema), "G_ema.");
    t.update(train::optimizer_state(*step_.g_opt, step_.g_opt_config, step_.g_names, "optG."));
    t.update(train::optimizer_state(*step_.d_opt, step_.d_opt_config, step_.d_names, "optD."));
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
  GanStep step_;
  torch::Tensor grid_z_;
  int64_t cur_nimg_ = 0, iteration_ = 0;
  GanTrainResult last_;  ///< the last batch's losses
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

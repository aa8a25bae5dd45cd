#include "lagm/baselines/supervised_annotator.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/labelled_sampler.h"
#include "lagm/baselines/projection_set.h"
#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/core/numpy_random.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/image.h"
#include "lagm/models/annotator.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/run_folder.h"
#include "lagm/train/training_loop.h"
#include "lagm/train/training_state.h"

namespace lagm::baselines {
namespace fs = std::filesystem;

const char* arch_name(SupervisedArch arch) {
  return arch == SupervisedArch::kMlpEnsemble ? "mlp_ensemble" : "fpn";
}

SupervisedArch parse_supervised_arch(const std::string& name) {
  for (auto arch : {SupervisedArch::kFpn, SupervisedArch::kMlpEnsemble})
    if (name == arch_name(arch)) return arch;
  throw SettingError("arch", "must be fpn or mlp_ensemble, got '" + name + "'");
}

nlohmann::json to_json(const SupervisedAnnotatorConfig& c) {
  auto j = models::to_json(c.sampling);
  j.update({{"method", "supervised"},
            {"generator", c.generator},
            {"labels", c.labels},
            {"projections", c.projections},
            {"arch", arch_name(c.arch)},
            {"members", c.members},
            {"tmp_channels", c.tmp_channels},
            {"num_layers", c.num_layers},
            {"steps", c.steps},
            {"batch", c.batch},
            {"lr", c.lr},
            {"snapshot_steps", c.snapshot_steps},
            {"seed", c.seed}});
  return j;
}

SupervisedAnnotatorConfig supervised_annotator_config_from_json(const nlohmann::json& j,
                                                                const std::string& where) {
  using core::get_or;
  core::check_keys(j,
                   {"method", "generator", "labels", "projections", "arch", "members",
                    "tmp_channels", "num_layers", "steps", "batch", "lr", "snapshot_steps", "seed",
                    "truncation_psi", "truncation_cutoff", "noise_mode"},
                   where);
  if (get_or<std::string>(j, "method", "supervised", where) != "supervised")
    throw InputError(where + ".method: expected \"supervised\"");
  SupervisedAnnotatorConfig c;
  c.sampling = models::sampling_options_from_json(j, where);
  c.generator = get_or(j, "generator", c.generator, where);
  c.labels = get_or(j, "labels", c.labels, where);
  c.projections = get_or(j, "projections", c.projections, where);
  c.arch = parse_supervised_arch(get_or<std::string>(j, "arch", arch_name(c.arch), where));
  c.members = get_or(j, "members", c.members, where);
  c.tmp_channels = get_or(j, "tmp_channels", c.tmp_channels, where);
  c.num_layers = get_or(j, "num_layers", c.num_layers, where);
  c.steps = get_or(j, "steps", c.steps, where);
  c.batch = get_or(j, "batch", c.batch, where);
  c.lr = get_or(j, "lr", c.lr, where);
  c.snapshot_steps = get_or(j, "snapshot_steps", c.snapshot_steps, where);
  c.seed = get_or(j, "seed", c.seed, where);
  return c;
}

uint32_t seed_of_sample(const std::string& name) {
  const std::string digits = name.rfind("seed", 0) == 0 ? name.substr(4) : name;
  const bool numeric = !digits.empty() && digits.size() <= 10 &&
                       digits.find_first_not_of("0123456789") == std::string::npos;
  if (!numeric || std::stoull(digits) > 0xFFFFFFFFull)
    throw InputError(name +
                     ": a labelled generated image is named by its seed (seed000123 or "
                     "000123, as lagm generate draws it)");
  return static_cast<uint32_t>(std::stoull(digits));
}

namespace {

void check_config(const SupervisedAnnotatorConfig& c) {
  if (c.generator.empty()) throw SettingError("generator", "is required");
  if (c.labels.empty()) throw SettingError("labels", "is required");
  const std::pair<const char*, int64_t> counts[] = {{"steps", c.steps},
                                                    {"batch", c.batch},
                                                    {"snapshot_steps", c.snapshot_steps},
                                                    {"tmp_channels", c.tmp_channels},
                                                    {"num_layers", c.num_layers},
                                                    {"members", c.members}};
  for (const auto& [key, value] : counts)
    if (value < 1) throw SettingError(key, "must be >= 1");
  if (!(std::isfinite(c.lr) && c.lr > 0)) throw SettingError("lr", "must be a finite number > 0");
  if (c.projections.empty() && c.sampling.noise_mode == models::NoiseMode::kRandom)
    throw SettingError("noise_mode",
                       "random cannot make the labelled images again; use the mode they were "
                       "generated with (const, lagm generate's default, or none)");
}

// The fit: the labelled set with its latents, the generator, A and its optimizer.
class SupervisedRun : public train::Trainable {
 public:
  SupervisedRun(SupervisedAnnotatorConfig config, const train::RunFolder& folder,
                torch::Device device, ProgressFn progress)
      : config_(std::move(config)),
        folder_(folder),
        device_(device),
        progress_(std::move(progress)),
        labels_(config_.labels),
        sampler_(labels_.size(), config_.seed) {
    if (labels_.size() == 0) throw InputError(config_.labels + ": no labelled images");
    generator_ = models::load_feature_generator(config_.generator, device_);
    generator_->sampling() = config_.sampling;
    if (config_.projections.empty()) {
      std::vector<torch::Tensor> zs;
      zs.reserve(labels_.size());
      for (const auto& id : labels_.ids())
        zs.push_back(core::NumpyRandomState(seed_of_sample(id)).randn({1, generator_->z_dim()}));
      z_ = torch::cat(zs).to(torch::kFloat32);
      check_images_match();
    } else {
      double psnr = 0;
      for (const auto& id : labels_.ids()) {
        projected_.push_back(read_projected_latent(config_.projections, id));
        psnr += projected_.back().psnr;
      }
      const auto maps = generator_->noise_buffers();  // a StyleGAN2 (or InputError)
      if (projected_.front().noise.size() != maps.size())
        throw InputError(config_.projections + ": its noise maps do not fit " + config_.generator);
      folder_.log("inversion: " + std::to_string(projected_.size()) +
                  " projected labelled images, mean PSNR " +
                  std::to_string(psnr / static_cast<double>(projected_.size())) + " dB");
    }
    torch::manual_seed(config_.seed);
    const auto k = static_cast<int64_t>(labels_.class_names().size());
    if (config_.arch == SupervisedArch::kMlpEnsemble)
      annotator_ = std::make_unique<models::Annotator>(models::AnnotatorMLPEnsemble(
          models::AnnotatorMLPEnsembleOptions(generator_->feature_shapes(), k)
              .members(config_.members)));
    else
      annotator_ = std::make_unique<models::Annotator>(
          models::AnnotatorFPN(models::AnnotatorFPNOptions(generator_->feature_shapes(), k)
                                   .tmp_channels(config_.tmp_channels)
                                   .num_layers(config_.num_layers)));
    module().to(device_);
    optimizer_config_.kind = train::OptimizerKind::kAdam;
    optimizer_config_.lr = config_.lr;
    optimizer_ = train::make_optimizer(optimizer_config_, module().parameters());
  }

  void restore(const annotator::Snapshot& s) {
    core::load_state_dict(module(), s.tensors.with_prefix_stripped("A."));
    train::load_optimizer_state(*optimizer_, optimizer_config_, train::parameter_names(module()),
                                s.tensors, "optA.");
    train::restore_rng_states(s.tensors, device_);
    sampler_.restore(s.info.sampler_epoch, s.info.sampler_position);
    step_ = s.info.iteration;
  }

  std::string run() {
    last_snapshot_ = annotator::latest_snapshot(folder_.path());
    module().train();
    train::LoopSchedule schedule;
    schedule.unit = "step";
    schedule.done = step_;
    schedule.total = config_.steps;
    schedule.units_per_tick = config_.snapshot_steps;
    schedule.units_per_save = config_.snapshot_steps;
    train::run_training_loop(*this, schedule);
    return last_snapshot_;
  }

  // One optimizer step on a batch of labelled images' features.
  int64_t run_unit(int64_t /*done*/, train::TickLosses& losses) override {
    const auto idx = sampler_.next(config_.batch);
    std::vector<int64_t> rows(idx.begin(), idx.end());
    const auto index = torch::tensor(rows, torch::kInt64);
    torch::Tensor masks;
    {
      std::vector<torch::Tensor> m;
      m.reserve(idx.size());
      for (auto i : idx) m.push_back(labels_.get(i).label);
      masks = torch::stack(m).to(device_);
    }
    const auto batch = features_of(idx, index);
    const auto loss = supervised_loss(batch.features, masks);
    optimizer_->zero_grad();
    loss.backward();
    optimizer_->step();
    losses.add("loss", loss.item<double>(), "the supervised annotator's loss");
    ++step_;
    return 1;
  }

  void tick(const train::LoopState& state) override {
    const double loss = state.losses.mean("loss");
    char line[200];
    std::snprintf(line, sizeof line,
                  "supervised annotator: step %lld/%lld  loss %.4f  %.3f s/step  ETA %s",
                  static_cast<long long>(state.done), static_cast<long long>(state.total), loss,
                  state.meter.seconds_per_unit(), state.meter.eta_text().c_str());
    folder_.log(line);
    if (progress_) progress_(line);
    folder_.record("stats.jsonl", {{"iteration", state.done},
                                   {"loss", loss},
                                   {"sec_per_step", state.meter.seconds_per_unit()}});
  }

  void save(const train::LoopState& /*state*/) override { last_snapshot_ = snapshot(); }

 private:
  // Each labelled image must be what the generator makes from its seed with these settings: its
  // labels describe that image, and the features must be that image's.
  void check_images_match() {
    torch::NoGradGuard no_grad;
    for (int64_t i = 0; i < z_.size(0); ++i) {
      const auto made = io::as_synthesized(generator_->generate(z_.narrow(0, i, 1).to(device_)).img)
                            .cpu()
                            .squeeze(0);
      const auto stored = labels_.get(static_cast<size_t>(i)).image;
      if (made.sizes() != stored.sizes())
        throw InputError(labels_.root() + ": image " + labels_.ids()[i] + " is not the " +
                         std::to_string(made.size(2)) + "x" + std::to_string(made.size(1)) +
                         " image the generator makes");
      // Mean difference in 8-bit levels: a rounding rule apart is well below 1.
      const double levels = (made - stored).abs().mean().item<double>() * 127.5;
      if (levels > 1.0)
        throw InputError(labels_.root() + ": image " + labels_.ids()[i] + " differs from what " +
                         config_.generator + " makes from seed " +
                         std::to_string(seed_of_sample(labels_.ids()[i])) + " (" +
                         std::to_string(levels) +
                         " levels on average): generate it with the same --psi, --cutoff and "
                         "--noise-mode");
    }
  }

  torch::nn::Module& module() { return annotator_->module(); }

  // The labelled images' features: generated again from their seeds, or (inversion) from their
  // projected latents with their own noise maps, one image at a time.
  models::GeneratedBatch features_of(const std::vector<size_t>& idx, const torch::Tensor& index) {
    torch::NoGradGuard no_grad;
    if (projected_.empty()) return generator_->generate(z_.index_select(0, index).to(device_));
    auto maps = generator_->noise_buffers();
    std::vector<std::vector<torch::Tensor>> levels;
    for (const auto i : idx) {
      const auto& p = projected_[i];
      for (size_t k = 0; k < maps.size(); ++k) maps[k].copy_(p.noise[k]);
      const auto features = generator_->synthesize(p.ws.to(device_)).features;
      levels.resize(features.size());
      for (size_t l = 0; l < features.size(); ++l) levels[l].push_back(features[l]);
    }
    models::GeneratedBatch batch;
    for (const auto& level : levels) batch.features.push_back(torch::cat(level));
    return batch;
  }

  // Cross entropy with 255 ignored; an ensemble's is the mean of its members' own (each member is
  // moved by its own loss only: they share no weight).
  torch::Tensor supervised_loss(const std::vector<torch::Tensor>& features,
                                const torch::Tensor& masks) {
    const auto options = torch::nn::functional::CrossEntropyFuncOptions().ignore_index(255);
    if (!annotator_->ensemble())
      return torch::nn::functional::cross_entropy(annotator_->forward(features), masks, options);
    torch::Tensor sum;
    auto ensemble = annotator_->ensemble();
    for (auto& member : ensemble->members) {
      const auto ce =
          torch::nn::functional::cross_entropy(member->forward(features), masks, options);
      sum = sum.defined() ? sum + ce : ce;
    }
    return sum / static_cast<double>(ensemble->members.size());
  }

  std::string snapshot() {
    annotator::SnapshotInfo info;
    info.iteration = step_;
    info.annotator = annotator_->to_json();
    info.provenance.learner =
        config_.arch == SupervisedArch::kMlpEnsemble ? "datasetgan" : "supervised";
    info.provenance.generator = config_.generator;
    info.provenance.sampling = config_.sampling;
    info.run = to_json(config_);
    info.class_names = labels_.class_names();
    info.sampler_epoch = sampler_.epoch();
    info.sampler_position = sampler_.position();
    core::TensorDict t;
    t.update(core::state_dict(module()), "A.");
    t.update(train::optimizer_state(*optimizer_, optimizer_config_,
                                    train::parameter_names(module()), "optA."));
    train::save_rng_states(t, device_);
    std::string path = annotator::snapshot_path(folder_.path(), step_);
    annotator::write_snapshot(path, info, t);
    return path;
  }

  SupervisedAnnotatorConfig config_;
  const train::RunFolder& folder_;
  torch::Device device_;
  ProgressFn progress_;
  data::FolderDataset labels_;
  annotator::LabelledSampler sampler_;
  std::unique_ptr<models::FeatureGenerator> generator_;
  torch::Tensor z_;
  std::vector<ProjectedLatent> projected_;  ///< inversion: per labelled image
  std::unique_ptr<models::Annotator> annotator_;
  train::OptimizerConfig optimizer_config_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  int64_t step_ = 0;
  std::string last_snapshot_;  ///< the newest snapshot of the run
};

}  // namespace

std::string train_supervised_annotator(const SupervisedAnnotatorConfig& config,
                                       const std::string& run_dir, torch::Device device,
                                       const ProgressFn& progress) {
  check_config(config);
  const train::RunFolder folder(run_dir);
  if (folder.has_config())
    throw UsageError(run_dir + ": already holds a run; continue it with --resume " + run_dir);
  folder.write_config(to_json(config));
  SupervisedRun run(config, folder, device, progress);
  return run.run();
}

std::string resume_supervised_annotator(const std::string& run_dir, torch::Device device,
                                        const ProgressFn& progress, int64_t steps) {
  if (!fs::exists(fs::path(run_dir) / "config.json"))
    throw InputError(run_dir + ": not a train-annotator-supervised run (no config.json)");
  const train::RunFolder folder(run_dir);
  auto config =
      supervised_annotator_config_from_json(folder.read_config(), folder.file("config.json"));
  if (steps > 0) config.steps = steps;
  check_config(config);
  folder.write_config(to_json(config));
  SupervisedRun run(config, folder, device, progress);
  const std::string latest = annotator::latest_snapshot(run_dir);
  if (!latest.empty()) {
    const auto snapshot = annotator::read_snapshot(latest);
    run.restore(snapshot);
    folder.forget_records_after("iteration", static_cast<double>(snapshot.info.iteration),
                                {"stats.jsonl"});
    if (progress) progress("resumed from " + latest);
  }
  return run.run();
}

}  // namespace lagm::baselines

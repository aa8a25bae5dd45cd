#include "lagm/baselines/pseudo_label.h"

#include <torch/torch.h>

#include <cstdio>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/state_dict.h"
#include "lagm/io/image.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/training_loop.h"

namespace lagm::baselines {

namespace {

// The annotator fitted to the labeller's labels of generated images, one batch a step.
class PseudoLabelFit : public train::Trainable {
 public:
  PseudoLabelFit(const PseudoLabelOptions& o, models::Segmenter& labeller,
                 const std::vector<std::string>& class_names, std::string run_dir,
                 torch::Device device, ProgressFn progress)
      : o_(o),
        labeller_(labeller),
        class_names_(class_names),
        run_dir_(std::move(run_dir)),
        device_(device),
        progress_(std::move(progress)) {
    torch::manual_seed(o_.seed);
    generator_ = models::load_feature_generator(o_.generator, device_);
    generator_->sampling() = o_.sampling;
    const auto k = static_cast<int64_t>(class_names_.size());
    annotator_ = models::AnnotatorFPN(models::AnnotatorFPNOptions(generator_->feature_shapes(), k)
                                          .tmp_channels(o_.tmp_channels)
                                          .num_layers(o_.num_layers));
    annotator_->to(device_);
    annotator_->train();
    labeller_.module().to(device_);
    labeller_.module().eval();
    train::OptimizerConfig oc;
    oc.kind = train::OptimizerKind::kAdam;
    oc.lr = o_.lr;
    optimizer_ = train::make_optimizer(oc, annotator_->parameters());
  }

  int64_t run_unit(int64_t /*done*/, train::TickLosses& losses) override {
    torch::Tensor target;
    models::GeneratedBatch batch;
    {
      torch::NoGradGuard no_grad;
      batch = generator_->generate(torch::randn({o_.batch, generator_->z_dim()}).to(device_));
      // The labeller sees what synthesis writes: the 8-bit image read back.
      const auto img = io::as_synthesized(batch.img);
      target = labeller_.forward(img).argmax(1);
    }
    auto loss = torch::nn::functional::cross_entropy(annotator_->forward(batch.features), target);
    for (auto& p : annotator_->parameters()) p.mutable_grad().reset();
    loss.backward();
    optimizer_->step();
    losses.add("loss", loss.item<double>(), "the pseudo-label annotator's loss");
    return 1;
  }

  void tick(const train::LoopState& state) override {
    if (!progress_) return;
    char line[160];
    std::snprintf(
        line, sizeof line, "pseudo-label annotator: step %lld/%lld  loss %.4f  %.2f s/step  ETA %s",
        static_cast<long long>(state.done), static_cast<long long>(state.total),
        state.losses.mean("loss"), state.meter.seconds_per_unit(), state.meter.eta_text().c_str());
    progress_(line);
  }

  void save(const train::LoopState& state) override {
    annotator_->eval();
    annotator::SnapshotInfo info;
    info.iteration = state.done;
    info.annotator = models::to_json(annotator_->options);
    info.segmenter = labeller_.config();
    info.provenance.learner = "pseudo_label";
    info.provenance.generator = o_.generator;
    info.provenance.sampling = o_.sampling;
    info.run = annotator::to_json(info.provenance);
    info.class_names = class_names_;
    core::TensorDict t;
    t.update(core::state_dict(*annotator_), "A.");
    t.update(core::state_dict(labeller_.module()), "S.");
    path_ = annotator::snapshot_path(run_dir_, state.done);
    annotator::write_snapshot(path_, info, t);
  }

  const std::string& path() const { return path_; }

 private:
  const PseudoLabelOptions& o_;
  models::Segmenter& labeller_;
  const std::vector<std::string>& class_names_;
  std::string run_dir_;
  torch::Device device_;
  ProgressFn progress_;
  std::unique_ptr<models::FeatureGenerator> generator_;
  models::AnnotatorFPN annotator_{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::string path_;
};

}  // namespace

std::string fit_annotator_to_labeller(const PseudoLabelOptions& o, models::Segmenter& labeller,
                                      const std::vector<std::string>& class_names,
                                      const std::string& run_dir, torch::Device device,
                                      const ProgressFn& progress) {
  PseudoLabelFit fit(o, labeller, class_names, run_dir, device, progress);
  train::LoopSchedule schedule;
  schedule.unit = "step";
  schedule.total = o.steps;
  schedule.units_per_tick = 50;
  schedule.units_per_save = 0;  // the annotator is written once, at the end
  train::run_training_loop(fit, schedule);
  return fit.path();
}

}  // namespace lagm::baselines

#include "lagm/method/pseudo_label.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include "lagm/core/state_dict.h"
#include "lagm/io/image.h"
#include "lagm/method/annotator_snapshot.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/train/optimizer.h"

namespace lagm::method {

std::string fit_annotator_to_labeller(const PseudoLabelOptions& o, models::Segmenter& labeller,
                                      const std::vector<std::string>& class_names,
                                      const std::string& run_dir, torch::Device device,
                                      const ProgressFn& progress) {
  torch::manual_seed(o.seed);
  auto g = models::load_feature_generator(o.generator, device);
  g->sampling() = o.sampling;
  const auto k = static_cast<int64_t>(class_names.size());
  models::AnnotatorFPN annotator(models::AnnotatorFPNOptions(g->feature_shapes(), k)
                                     .tmp_channels(o.tmp_channels)
                                     .num_layers(o.num_layers));
  annotator->to(device);
  annotator->train();
  labeller.module().to(device);
  labeller.module().eval();
  train::OptimizerConfig oc;
  oc.kind = "adam";
  oc.lr = o.lr;
  auto opt = train::make_optimizer(oc, annotator->parameters());
  const auto start = std::chrono::steady_clock::now();
  double loss_sum = 0;
  for (int64_t step = 1; step <= o.steps; ++step) {
    torch::Tensor target;
    models::GeneratedBatch batch;
    {
      torch::NoGradGuard no_grad;
      batch = g->generate(torch::randn({o.batch, g->z_dim()}).to(device));
      // The labeller sees what synthesis writes: the 8-bit image read back.
      const auto img = io::as_synthesized(batch.img);
      target = labeller.forward(img).argmax(1);
    }
    auto loss = torch::nn::functional::cross_entropy(annotator->forward(batch.features), target);
    for (auto& p : annotator->parameters()) p.mutable_grad().reset();
    loss.backward();
    opt->step();
    loss_sum += loss.item<double>();
    if (progress && (step % 50 == 0 || step == o.steps)) {
      const double sec =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char line[160];
      std::snprintf(line, sizeof line,
                    "pseudo-label annotator: step %lld/%lld  loss %.4f  %.2f s/step",
                    static_cast<long long>(step), static_cast<long long>(o.steps), loss_sum / 50.0,
                    sec / static_cast<double>(step));
      progress(line);
      loss_sum = 0;
    }
  }
  annotator->eval();
  SnapshotInfo info;
  info.iteration = o.steps;
  info.annotator = models::to_json(annotator->options);
  info.segmenter = models::to_json(labeller.config());
  info.run = models::to_json(o.sampling);
  info.run["generator"] = o.generator;
  info.run["method"] = "pseudo_label";
  info.class_names = class_names;
  core::TensorDict t;
  t.update(core::state_dict(*annotator), "A.");
  t.update(core::state_dict(labeller.module()), "S.");
  std::string path = snapshot_path(run_dir, o.steps);
  write_snapshot(path, info, t);
  return path;
}

}  // namespace lagm::method

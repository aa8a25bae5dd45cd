#include "lagm/demo/arm_configs.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/atomic_file.h"

namespace lagm::demo {

std::string demo_path(const DemoOptions& o, const std::string& rel) {
  return (std::filesystem::path(o.out) / rel).string();
}

std::string best_checkpoint(const DemoOptions& o, const std::string& arm) {
  const auto j = nlohmann::json::parse(core::read_file(demo_path(o, arm + "/segmenter/best.json")));
  char name[40];
  std::snprintf(name, sizeof name, "segmenter-%03lld.safetensors",
                static_cast<long long>(j.at("epoch").get<int64_t>()));
  return demo_path(o, arm + "/segmenter/" + name);
}

downstream::SegmenterTrainConfig segmenter_config(const DemoOptions& o, const DemoSettings& s,
                                                  const std::string& train_dir) {
  downstream::SegmenterTrainConfig c;
  c.data.path = train_dir;
  c.validation.path = demo_path(o, "data/validation");
  c.segmenter.base_channels = s.segmenter_channels;
  c.epochs = s.epochs;
  c.batch = s.batch;
  c.lr = 1e-3;
  c.class_balance_power = s.downstream_class_balance;
  c.seed = o.seed;
  return c;
}

downstream::SegmenterTrainConfig few_label_config(const DemoOptions& o, const DemoSettings& s) {
  auto c = segmenter_config(o, s, demo_path(o, "data/labelled"));
  c.flip = c.scale_crop = c.color_jitter = true;
  c.samples_per_epoch = s.synthesized;
  return c;
}

downstream::SegmenterTrainConfig route_segmenter_config(const DemoOptions& o, const DemoSettings& s,
                                                        const std::string& arm) {
  auto c = segmenter_config(o, s, demo_path(o, arm + "/synthesized"));
  if (s.mix_labels > 0) {
    c.mix_data.path = demo_path(o, "data/labelled");
    c.mix_per_batch = s.mix_labels;
  }
  return c;
}

downstream::SegmenterTrainConfig semi_supervised_config(const DemoOptions& o, const DemoSettings& s,
                                                        downstream::SemiSupervisedMethod method) {
  auto c = few_label_config(o, s);
  c.unlabelled.path = demo_path(o, "data/unlabelled");
  c.unlabelled_per_batch = s.batch;
  c.semi_supervised.method = method;
  const int64_t steps_per_epoch = (s.synthesized + s.batch - 1) / s.batch;
  const int64_t quarter = std::max<int64_t>(1, s.epochs * steps_per_epoch / 4);
  c.semi_supervised.mean_teacher.rampup_steps = quarter;
  c.semi_supervised.adversarial.self_training_start = quarter;
  return c;
}

matching::AnnotatorTrainConfig gradient_matching_config(const DemoOptions& o, const DemoSettings& s,
                                                        const std::string& data) {
  matching::AnnotatorTrainConfig c;
  c.generator = o.generator;
  c.segmenter.base_channels = s.gm_segmenter_channels;
  c.annotator_tmp_channels = s.annotator_channels;
  c.gm_params = matching::resolve_gm_params_regex(s.gm_params);
  c.annotator_optimizer.kind = c.segmenter_optimizer.kind = train::OptimizerKind::kAdam;
  c.annotator_optimizer.lr = s.gm_lr;
  c.segmenter_optimizer.lr = s.gm_segmenter_lr;
  if (s.init_from_pseudo_label)
    c.annotator_init = annotator::latest_snapshot(demo_path(o, "pseudo_label/annotator"));
  if (s.gm_pseudo_label_weight > 0) {
    c.pseudo_labeller = best_checkpoint(o, "few_label");
    c.pseudo_label_weight = s.gm_pseudo_label_weight;
  }
  c.matcher.magnitude_weight = s.magnitude_weight;
  c.annotator_ema = s.annotator_ema;
  c.class_balance_power = s.class_balance_power;
  c.batch = 2;
  if (s.all_labels) c.label_batch = o.labels;
  c.label_augment = s.label_augment;
  c.label_loss_weight = s.label_loss_weight;
  c.total_iters = s.gm_steps;
  c.niter_per_tick = 10;
  c.precision = o.precision;
  c.snapshot_ticks = std::max<int64_t>(1, s.gm_steps / 40);  // validate ~4 times
  c.seed = o.seed;
  c.training_set.path = data + "/labelled";
  c.validation_set.path = data + "/validation";
  c.run_name = "gm";
  return c;
}

matching::AnnotatorTrainConfig matching_alone_config(const DemoOptions& o, const DemoSettings& s,
                                                     const std::string& data) {
  auto c = gradient_matching_config(o, s, data);
  c.pseudo_labeller.clear();
  c.pseudo_label_weight = 0;
  return c;
}

}  // namespace lagm::demo

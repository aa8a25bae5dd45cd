#include "lagm/synth/annotator_quality.h"

#include <torch/torch.h>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/prior_calibration.h"
#include "lagm/annotator/transform_pipe.h"
#include "lagm/core/error.h"
#include "lagm/io/image.h"
#include "lagm/synth/synthesize.h"

namespace lagm::synth {

nlohmann::json AnnotatorQuality::to_json() const {
  return {{"snapshot", snapshot},
          {"class_names", class_names},
          {"vs_oracle",
           {{"mIoU", vs_oracle.mean_iou},
            {"fg_mIoU", vs_oracle.fg_mean_iou},
            {"pACC", vs_oracle.pixel_accuracy},
            {"per_class_iou", vs_oracle.iou}}},
          {"annotator_frequencies", annotator_frequencies},
          {"oracle_frequencies", oracle_frequencies},
          {"labelled_frequencies", labelled_frequencies},
          {"logit_offsets", logit_offsets}};
}

AnnotatorQuality measure_annotator_quality(const AnnotatorQualityOptions& o,
                                           models::Segmenter& oracle,
                                           const std::vector<std::string>& oracle_class_names) {
  if (o.num < 1) throw SettingError("num", "must be >= 1");
  AnnotatorQuality q;
  q.snapshot = resolve_snapshot(o.run_dir, o.snapshot);
  const auto snap = annotator::read_snapshot(q.snapshot);
  q.class_names = snap.info.class_names;
  const auto k = static_cast<int64_t>(q.class_names.size());
  if (oracle_class_names != q.class_names)
    throw InputError("the oracle's classes differ from those of the annotator of " + q.snapshot);
  auto annotator = annotator::load_snapshot_annotator(snap);
  annotator->to(o.device);
  auto g = load_snapshot_generator(snap, "", annotator, o.device);
  const bool wide = snapshot_wide_crop(snap, false);
  q.labelled_frequencies = labelled_class_frequencies(snap);
  if (o.calibrate_priors)
    q.logit_offsets = fit_prior_offsets(*g, annotator, q.labelled_frequencies, o.calibration_images,
                                        wide, o.device);

  torch::NoGradGuard no_grad;
  oracle.module().eval();
  eval::ConfusionMatrix cm(k);
  std::vector<torch::Tensor> annotator_labels, oracle_labels;
  for (int64_t i = 0; i < o.num; ++i) {
    torch::manual_seed(o.seed_base + static_cast<uint64_t>(i));
    auto batch = g->generate(torch::randn({1, g->z_dim()}).to(o.device));
    auto logits =
        annotator::apply_logit_offsets(annotator.forward(batch.features), q.logit_offsets);
    auto img = batch.img;
    if (wide) logits = annotator::wide_crop(logits), img = annotator::wide_crop(img);
    // The oracle sees what synthesis writes: the 8-bit image read back.
    const auto x = io::as_synthesized(img);
    const auto truth = oracle.forward(x.to(o.device)).argmax(1).cpu();
    const auto pred = logits.argmax(1).cpu();
    cm.add(pred, truth);
    annotator_labels.push_back(pred);
    oracle_labels.push_back(truth);
  }
  q.vs_oracle = cm.metrics();
  q.annotator_frequencies = annotator::class_frequencies(torch::cat(annotator_labels), k);
  q.oracle_frequencies = annotator::class_frequencies(torch::cat(oracle_labels), k);
  return q;
}

}  // namespace lagm::synth

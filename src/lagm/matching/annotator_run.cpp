#include "lagm/matching/annotator_run.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/labelled_sampler.h"
#include "lagm/annotator/prior_calibration.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/data_survey.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/train/distributed.h"
#include "lagm/train/optimizer.h"
#include "lagm/train/training_state.h"

namespace lagm::matching {

void AnnotatorRun::setup() {
  read_data();
  load_generator();
  // A and S initialisation, then the z / noise / dropout stream.
  torch::manual_seed(config_.seed);
  build_networks();
  build_step();
  sampler_ = std::make_unique<annotator::LabelledSampler>(labelled_->size(), config_.seed);
  // Grid latents from their own generator, so pictures never perturb the training stream.
  auto grid_gen = at::detail::createCPUGenerator(config_.seed + 0x5EED);
  grid_z_ = torch::randn({config_.grid_size, generator_->z_dim()}, grid_gen);
}

void AnnotatorRun::read_data() {
  labelled_ = data::open_labelled_dataset(config_.training_set, "training_set");
  survey_labelled_set();
  std::tie(label_images_, label_masks_) =
      data::load_batch(*labelled_, all_indices(labelled_->size()));
  if (!config_.validation_set.empty()) {
    validation_ = data::open_labelled_dataset(config_.validation_set, "validation_set");
    if (validation_->num_classes() != labelled_->num_classes())
      throw InputError(
          config_.validation_set.describe() + ": " + std::to_string(validation_->num_classes()) +
          " classes, but the labelled set has " + std::to_string(labelled_->num_classes()));
    record_survey("validation_set", config_.validation_set,
                  data::survey_dataset(*validation_, "validation_set"));
  }
}

void AnnotatorRun::load_generator() {
  generator_ = models::load_feature_generator(config_.generator, device_);
  generator_->sampling() = config_.sampling;
  models::require_generation_memory(*generator_, config_.batch,
                                    "batch " + std::to_string(config_.batch));
  const auto hw = annotator::transformed_size(config_.transform, generator_->img_resolution());
  if (label_images_.size(2) != hw[0] || label_images_.size(3) != hw[1])
    throw InputError(config_.training_set.describe() + ": labelled images are " +
                     std::to_string(label_images_.size(3)) + "x" +
                     std::to_string(label_images_.size(2)) +
                     " but the generator (after the transform) makes " + std::to_string(hw[1]) +
                     "x" + std::to_string(hw[0]) + " images; set training_set.img_size");
}

void AnnotatorRun::build_networks() {
  const int64_t k = labelled_->num_classes();
  annotator_ = models::AnnotatorFPN(models::AnnotatorFPNOptions(generator_->feature_shapes(), k)
                                        .tmp_channels(config_.annotator_tmp_channels)
                                        .num_layers(config_.annotator_num_layers));
  segmenter_ = new_segmenter();
  if (!config_.segmenter_init.empty()) start_segmenter_from_init();
  if (!config_.annotator_init.empty()) start_annotator_from_init();
  annotator_->to(device_);
  if (config_.annotator_ema > 0) {
    // Building a module draws its initial weights from the global stream: keep the stream as it
    // was, so that A and S train exactly as without the average.
    const auto saved_rng = train::rng_state(torch::kCPU);
    annotator_ema_ = models::AnnotatorFPN(annotator_->options);
    train::set_rng_state(torch::kCPU, saved_rng);
    core::load_state_dict(*annotator_ema_, core::state_dict(*annotator_));
    annotator_ema_->to(device_);
  }
  segmenter_->module().to(device_);
}

void AnnotatorRun::start_segmenter_from_init() {
  const auto init = annotator::load_segmenter(config_.segmenter_init);
  if (init.segmenter->config() != segmenter_->config())
    throw InputError(config_.segmenter_init + ": its segmenter (" +
                     models::to_json(init.segmenter->config()).dump() +
                     ") differs from the run's (" + models::to_json(segmenter_->config()).dump() +
                     ")");
  if (init.class_names != labelled_->class_names())
    throw InputError(config_.segmenter_init + ": its classes differ from the labelled set's");
  core::load_state_dict(segmenter_->module(), core::state_dict(init.segmenter->module()));
}

void AnnotatorRun::start_annotator_from_init() {
  const auto init = annotator::read_snapshot(config_.annotator_init);
  if (init.info.annotator != models::to_json(annotator_->options))
    throw InputError(config_.annotator_init + ": its annotator (" + init.info.annotator.dump() +
                     ") differs from the run's (" + models::to_json(annotator_->options).dump() +
                     ")");
  if (init.info.class_names != labelled_->class_names())
    throw InputError(config_.annotator_init + ": its classes differ from the labelled set's");
  core::load_state_dict(*annotator_,
                        core::state_dict(annotator::load_snapshot_annotator(init).module()));
}

void AnnotatorRun::build_step() {
  const int64_t k = labelled_->num_classes();
  opt_a_ = train::make_optimizer(config_.annotator_optimizer, annotator_->parameters());
  opt_s_ = train::make_optimizer(config_.segmenter_optimizer, segmenter_->module().parameters());
  step_ =
      std::make_unique<GradientMatchingStep>(*generator_, annotator_, *segmenter_, *opt_a_, *opt_s_,
                                             config_.gm_params, config_.matcher, config_.transform);
  step_->set_process_group(group_, config_.sync_batch_norm);
  if (config_.learner == Learner::kMaml) step_->set_unrolled_learner(config_.unrolled);
  step_->set_precision(config_.precision);
  step_->set_low_memory(config_.low_memory);
  if (config_.class_balance_power > 0)
    step_->set_class_weights(
        train::class_balance_weights(annotator::class_frequencies(label_masks_, k),
                                     config_.class_balance_power)
            .to(device_));
  if (config_.pseudo_label_weight > 0) {
    pseudo_labeller_ = annotator::load_frozen_labeller(config_.pseudo_labeller, "pseudo_labeller",
                                                       labelled_->class_names(), device_);
    step_->set_pseudo_labeller(pseudo_labeller_.get(), config_.pseudo_label_weight);
  }
}

void AnnotatorRun::claim_data(bool continuing) const {
  if (folder_) folder_->claim_data(data_record_, continuing);
}

void AnnotatorRun::survey_labelled_set() {
  const auto survey = data::survey_dataset(*labelled_, "training_set");
  if (survey.unlabelled_images > 0)
    throw InputError(config_.training_set.describe() +
                     " (training_set): " + std::to_string(survey.unlabelled_images) + " of its " +
                     std::to_string(survey.images) +
                     " labelled images have no labelled pixel (every pixel 255); remove them");
  record_survey("training_set", config_.training_set, survey);
}

void AnnotatorRun::record_survey(const char* key, const data::DatasetSpec& spec,
                                 const data::DataSurvey& survey) {
  data_record_[key] = {
      {"source", spec.describe()}, {"fingerprint", survey.fingerprint}, {"images", survey.images}};
}

std::unique_ptr<models::Segmenter> AnnotatorRun::new_segmenter() const {
  auto s_config = config_.segmenter;
  s_config.num_classes = labelled_->num_classes();
  auto s = std::make_unique<models::Segmenter>(s_config);
  if (!config_.segmenter_backbone.empty()) {
    if (!std::filesystem::exists(config_.segmenter_backbone))
      throw InputError(
          config_.segmenter_backbone +
          ": no such file; S's backbone starts from torchvision's ImageNet ResNet (convert "
          "resnet101-63fe2227.pth with tools/convert_torch_state_dict.py), or pass "
          "--backbone-weights none to start from random weights");
    models::load_imagenet_backbone(*s, core::read_safetensors(config_.segmenter_backbone).tensors);
  }
  return s;
}

std::vector<size_t> AnnotatorRun::all_indices(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

}  // namespace lagm::matching

// One phase-I run (lagm train-annotator) as the training loop drives it: the labelled data, the
// frozen generator, A and S with their optimizers and Algorithm 1's step (annotator_run.cpp builds
// them); the iterations, ticks, snapshots, grids and validation of S (annotator_run_loop.cpp).
// annotator_trainer.cpp starts and resumes it.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/labelled_sampler.h"
#include "lagm/core/progress.h"
#include "lagm/data/data_survey.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/matching/annotator_trainer.h"
#include "lagm/matching/gm_step.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"
#include "lagm/train/run_folder.h"
#include "lagm/train/training_loop.h"

namespace lagm::matching {

/// The networks, their optimizers and the loop's state of one run.
class AnnotatorRun : public train::Trainable {
 public:
  /// `folder` is null on the processes of a data-parallel run other than rank 0, which write
  /// nothing.
  AnnotatorRun(AnnotatorTrainConfig config, const train::RunFolder* folder, torch::Device device,
               ProgressFn progress, train::ProcessGroup* group)
      : config_(std::move(config)),
        folder_(folder),
        device_(device),
        progress_(std::move(progress)),
        group_(group) {}
  void setup();

  // The labelled set (held in memory) and the validation set, both read now: a bad file found at
  // the first snapshot would cost the iterations before it.
  void read_data();

  // The frozen generator, whose images (after the transform) must be the labelled images' size.
  void load_generator();

  // A and S, from random weights or their init files, and A's weight average.
  void build_networks();
  void start_segmenter_from_init();
  void start_annotator_from_init();

  // Their optimizers and Algorithm 1's step with its levers.
  void build_step();

  /// The data rule of the run folder (RunFolder::claim_data); `continuing` from a snapshot.
  void claim_data(bool continuing) const;
  void write_reals_grid();
  void restore(const annotator::Snapshot& s);
  TrainResult run();

  // One iteration of Algorithm 1: phase A every annotator_interval iterations, phase S every
  // segmenter_interval.
  int64_t run_unit(int64_t /*done*/, train::TickLosses& losses) override;
  void tick(const train::LoopState& state) override;
  void save(const train::LoopState& /*state*/) override;

 private:
  void annotator_phase(train::TickLosses& losses);
  void segmenter_phase(train::TickLosses& losses);

  // Few labels, each one counts: a labelled image without a labelled pixel is a mistake, and a
  // label batch of only such images would have no loss to take the mean of.
  void survey_labelled_set();
  void record_survey(const char* key, const data::DatasetSpec& spec,
                     const data::DataSurvey& survey);

  // S as the run starts it: random weights from the global stream, then the ImageNet backbone if
  // any.
  std::unique_ptr<models::Segmenter> new_segmenter() const;

  // segmenter_reset_interval: fresh weights copied into the same tensors (the matching step holds
  // them) and Adam's moments dropped, so S restarts as a new network.
  void reset_segmenter();
  static std::vector<size_t> all_indices(size_t n);
  std::pair<torch::Tensor, torch::Tensor> labelled_batch();
  std::string grid_path(const std::string& name) const { return folder_->file_in("grids", name); }

  // The annotator synthesis will use: the weight average when the run keeps one.
  models::AnnotatorFPN& shown_annotator() { return annotator_ema_ ? annotator_ema_ : annotator_; }
  void write_fakes_grid();
  void validate(const std::string& snapshot_file);
  void snapshot();
  AnnotatorTrainConfig config_;
  const train::RunFolder* folder_;
  torch::Device device_;
  ProgressFn progress_;
  train::ProcessGroup* group_;
  std::unique_ptr<data::LabelledDataset> labelled_, validation_;
  torch::Tensor label_images_, label_masks_, grid_z_;
  torch::Tensor label_images_drawn_, label_masks_drawn_;  ///< the labelled batch phase A last drew
  nlohmann::json data_record_;      ///< what data.json records of the sets read
  nlohmann::json last_validation_;  ///< S's metrics at the latest snapshot (null: no validation)
  std::unique_ptr<models::FeatureGenerator> generator_;
  models::AnnotatorFPN annotator_{nullptr};
  models::AnnotatorFPN annotator_ema_{nullptr};  ///< weight average (annotator_ema > 0), else null
  std::unique_ptr<models::Segmenter> segmenter_;
  std::unique_ptr<models::Segmenter> pseudo_labeller_;  ///< config.pseudo_labeller, when weighted
  std::unique_ptr<torch::optim::Optimizer> opt_a_, opt_s_;
  std::unique_ptr<GradientMatchingStep> step_;
  std::unique_ptr<annotator::LabelledSampler> sampler_;
  int64_t iteration_ = 0;
  double best_fg_miou_ = -1;
  int64_t best_iteration_ = -1;
};

}  // namespace lagm::matching

// Semi-supervised downstream training: what a method adds to the labelled cross entropy when a run
// has unlabelled images, behind one interface, so that the trainer runs either of the paper's
// semi-supervised comparisons (its Figure 2): mean teacher (mean_teacher.h) and the adversarial
// semi-supervised segmenter (adversarial_ssl.h).
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>

#include "lagm/core/tensor_dict.h"
#include "lagm/models/segmenter.h"
#include "lagm/train/training_loop.h"

namespace lagm::downstream {

enum class SemiSupervisedMethod { kMeanTeacher, kAdversarial };
/// "mean_teacher", "adversarial": the config's and the CLI's spelling.
const char* method_name(SemiSupervisedMethod method);
/// SettingError("ssl_method", ...) for any other name.
SemiSupervisedMethod parse_semi_supervised_method(const std::string& name);

struct MeanTeacherOptions {
  /// Weight of the consistency loss (the mean over pixels of the squared distance between the two
  /// networks' class probabilities, summed over classes) beside the labelled cross entropy.
  double consistency_weight = 1.0;
  double teacher_decay = 0.99;  ///< of the teacher's moving average (train::ramped_decay)
  /// The weight rises as exp(-5 (1 - t)^2), t = step / rampup_steps, to its full value: the
  /// teacher of the first steps knows nothing worth copying.
  int64_t rampup_steps = 1000;
  double noise_std = 0.1;  ///< Gaussian noise on the student's view ([-1, 1] images)
};

/// The adversarial segmenter's weights, as its paper sets them for Pascal VOC.
struct AdversarialOptions {
  double adversarial_weight = 0.01;              ///< fooling D on labelled images
  double unlabelled_adversarial_weight = 0.001;  ///< fooling D on unlabelled images
  double self_training_weight = 0.1;             ///< own labels where D trusts them
  double self_training_threshold = 0.2;          ///< D's confidence above which a pixel counts
  int64_t self_training_start = 0;               ///< steps before the self-taught loss begins
  double discriminator_lr = 1e-4;                ///< Adam, betas (0.9, 0.99)
};

struct SemiSupervisedOptions {
  SemiSupervisedMethod method = SemiSupervisedMethod::kMeanTeacher;
  MeanTeacherOptions mean_teacher;
  AdversarialOptions adversarial;
};

/// SettingError by key for a setting out of its range.
void check_semi_supervised_options(const SemiSupervisedOptions& o);

class SemiSupervisedTerm {
 public:
  virtual ~SemiSupervisedTerm() = default;
  /// The loss added to the labelled cross entropy at optimizer step `step`: `student` is the
  /// network being trained, `labelled_logits` its logits on the labelled batch whose labels are
  /// `labels`, `unlabelled` a batch of unlabelled images (CPU, [-1, 1]). Adds its parts to
  /// `losses` under `step_name`.
  virtual torch::Tensor loss(models::Segmenter& student, const torch::Tensor& labelled_logits,
                             const torch::Tensor& labels, const torch::Tensor& unlabelled,
                             int64_t step, train::TickLosses& losses,
                             const std::string& step_name) = 0;
  /// After the student's optimizer step `step` (counting from 0).
  virtual void after_step(const models::Segmenter& student, const torch::Tensor& labelled_logits,
                          const torch::Tensor& labels, int64_t step) = 0;
  /// The network the run validates and writes; null = the student.
  virtual models::Segmenter* evaluated() { return nullptr; }
  /// Its own state, for a resumed run to go on as the uninterrupted one.
  virtual void save(core::TensorDict& state) const = 0;
  virtual void load(const core::TensorDict& state) = 0;
};

std::unique_ptr<SemiSupervisedTerm> make_semi_supervised_term(const SemiSupervisedOptions& o,
                                                              const models::Segmenter& student,
                                                              torch::Device device);

}  // namespace lagm::downstream

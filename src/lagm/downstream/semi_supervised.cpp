#include "lagm/downstream/semi_supervised.h"

#include <cmath>

#include "lagm/core/error.h"
#include "lagm/downstream/adversarial_ssl.h"
#include "lagm/downstream/mean_teacher.h"

namespace lagm::downstream {

const char* method_name(SemiSupervisedMethod method) {
  return method == SemiSupervisedMethod::kAdversarial ? "adversarial" : "mean_teacher";
}

SemiSupervisedMethod parse_semi_supervised_method(const std::string& name) {
  for (auto method : {SemiSupervisedMethod::kMeanTeacher, SemiSupervisedMethod::kAdversarial})
    if (name == method_name(method)) return method;
  throw SettingError("ssl_method", "must be mean_teacher or adversarial, got '" + name + "'");
}

void check_semi_supervised_options(const SemiSupervisedOptions& o) {
  const auto& mt = o.mean_teacher;
  const auto& adv = o.adversarial;
  const std::pair<const char*, double> weights[] = {
      {"consistency_weight", mt.consistency_weight},
      {"adversarial_weight", adv.adversarial_weight},
      {"unlabelled_adversarial_weight", adv.unlabelled_adversarial_weight},
      {"self_training_weight", adv.self_training_weight}};
  for (const auto& [key, value] : weights)
    if (!(std::isfinite(value) && value >= 0))
      throw SettingError(key, "must be a finite number >= 0");
  if (!(mt.teacher_decay >= 0 && mt.teacher_decay < 1))
    throw SettingError("teacher_decay", "must be in [0, 1)");
  if (mt.rampup_steps < 0) throw SettingError("consistency_rampup", "must be >= 0");
  if (!(mt.noise_std >= 0 && mt.noise_std <= 2))
    throw SettingError("consistency_noise", "must be in [0, 2]");
  if (!(adv.self_training_threshold >= 0 && adv.self_training_threshold <= 1))
    throw SettingError("self_training_threshold", "must be in [0, 1]");
  if (adv.self_training_start < 0) throw SettingError("self_training_start", "must be >= 0");
  if (!(std::isfinite(adv.discriminator_lr) && adv.discriminator_lr > 0))
    throw SettingError("discriminator_lr", "must be a finite number > 0");
}

std::unique_ptr<SemiSupervisedTerm> make_semi_supervised_term(const SemiSupervisedOptions& o,
                                                              const models::Segmenter& student,
                                                              torch::Device device) {
  if (o.method == SemiSupervisedMethod::kAdversarial)
    return std::make_unique<AdversarialSsl>(student.config().num_classes, o.adversarial, device);
  return std::make_unique<MeanTeacher>(student, o.mean_teacher, device);
}

}  // namespace lagm::downstream

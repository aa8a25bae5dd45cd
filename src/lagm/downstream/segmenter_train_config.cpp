#include "lagm/downstream/segmenter_train_config.h"

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/config_json.h"

namespace lagm::downstream {

namespace {

nlohmann::json semi_supervised_json(const SegmenterTrainConfig& c) {
  const auto& mt = c.semi_supervised.mean_teacher;
  const auto& adv = c.semi_supervised.adversarial;
  return {{"unlabelled", data::to_json(c.unlabelled)},
          {"unlabelled_per_batch", c.unlabelled_per_batch},
          {"ssl_method", method_name(c.semi_supervised.method)},
          {"consistency_weight", mt.consistency_weight},
          {"teacher_decay", mt.teacher_decay},
          {"consistency_rampup", mt.rampup_steps},
          {"consistency_noise", mt.noise_std},
          {"adversarial_weight", adv.adversarial_weight},
          {"unlabelled_adversarial_weight", adv.unlabelled_adversarial_weight},
          {"self_training_weight", adv.self_training_weight},
          {"self_training_threshold", adv.self_training_threshold},
          {"self_training_start", adv.self_training_start},
          {"discriminator_lr", adv.discriminator_lr}};
}

void read_semi_supervised(const nlohmann::json& j, const std::string& where,
                          SegmenterTrainConfig& c) {
  using core::get_or;
  c.unlabelled_per_batch = get_or(j, "unlabelled_per_batch", c.unlabelled_per_batch, where);
  auto& o = c.semi_supervised;
  if (j.contains("ssl_method"))
    o.method = parse_semi_supervised_method(get_or<std::string>(j, "ssl_method", "", where));
  auto& mt = o.mean_teacher;
  mt.consistency_weight = get_or(j, "consistency_weight", mt.consistency_weight, where);
  mt.teacher_decay = get_or(j, "teacher_decay", mt.teacher_decay, where);
  mt.rampup_steps = get_or(j, "consistency_rampup", mt.rampup_steps, where);
  mt.noise_std = get_or(j, "consistency_noise", mt.noise_std, where);
  auto& adv = o.adversarial;
  adv.adversarial_weight = get_or(j, "adversarial_weight", adv.adversarial_weight, where);
  adv.unlabelled_adversarial_weight =
      get_or(j, "unlabelled_adversarial_weight", adv.unlabelled_adversarial_weight, where);
  adv.self_training_weight = get_or(j, "self_training_weight", adv.self_training_weight, where);
  adv.self_training_threshold =
      get_or(j, "self_training_threshold", adv.self_training_threshold, where);
  adv.self_training_start = get_or(j, "self_training_start", adv.self_training_start, where);
  adv.discriminator_lr = get_or(j, "discriminator_lr", adv.discriminator_lr, where);
}

}  // namespace

nlohmann::json to_json(const SegmenterTrainConfig& c) {
  nlohmann::json j = {{"data", data::to_json(c.data)},
                      {"validation", data::to_json(c.validation)},
                      {"segmenter", models::to_json(c.segmenter)},
                      {"backbone_weights", c.backbone_weights},
                      {"init", c.init},
                      {"epochs", c.epochs},
                      {"batch", c.batch},
                      {"lr", c.lr},
                      {"flip", c.flip},
                      {"scale_crop", c.scale_crop},
                      {"color_jitter", c.color_jitter},
                      {"class_balance_power", c.class_balance_power},
                      {"samples_per_epoch", c.samples_per_epoch},
                      {"mix_data", data::to_json(c.mix_data)},
                      {"mix_per_batch", c.mix_per_batch},
                      {"seed", c.seed},
                      {"max_steps", c.max_steps},
                      {"sync_batch_norm", c.sync_batch_norm}};
  // Only where it is on: a run recorded before mean teacher existed resumes unchanged.
  if (!c.unlabelled.empty()) j.update(semi_supervised_json(c));
  return j;
}

SegmenterTrainConfig segmenter_train_config_from_json(const nlohmann::json& j,
                                                      const std::string& where) {
  using core::get_or;
  core::check_keys(j,
                   {"data",
                    "validation",
                    "segmenter",
                    "backbone_weights",
                    "init",
                    "epochs",
                    "batch",
                    "lr",
                    "flip",
                    "scale_crop",
                    "color_jitter",
                    "class_balance_power",
                    "samples_per_epoch",
                    "mix_data",
                    "mix_per_batch",
                    "seed",
                    "max_steps",
                    "sync_batch_norm",
                    "unlabelled",
                    "unlabelled_per_batch",
                    "consistency_weight",
                    "teacher_decay",
                    "consistency_rampup",
                    "consistency_noise"},
                   where);
  SegmenterTrainConfig c;
  // A data set recorded as an empty folder path is "none" (no validation, no mixing).
  auto data_set = [&](const char* key) {
    if (!j.contains(key) || j.at(key).is_null()) return data::DatasetSpec{};
    return data::dataset_spec_from_json(j.at(key), where + "." + key);
  };
  c.data = data_set("data");
  if (c.data.empty()) throw InputError(where + ": no training data (data)");
  c.validation = data_set("validation");
  c.mix_data = data_set("mix_data");
  c.unlabelled = data_set("unlabelled");
  if (j.contains("segmenter"))
    c.segmenter =
        models::segmenter_config_without_classes_from_json(j.at("segmenter"), where + ".segmenter");
  c.backbone_weights = get_or(j, "backbone_weights", c.backbone_weights, where);
  c.init = get_or(j, "init", c.init, where);
  c.epochs = get_or(j, "epochs", c.epochs, where);
  c.batch = get_or(j, "batch", c.batch, where);
  c.lr = get_or(j, "lr", c.lr, where);
  c.flip = get_or(j, "flip", c.flip, where);
  c.scale_crop = get_or(j, "scale_crop", c.scale_crop, where);
  c.color_jitter = get_or(j, "color_jitter", c.color_jitter, where);
  c.class_balance_power = get_or(j, "class_balance_power", c.class_balance_power, where);
  c.samples_per_epoch = get_or(j, "samples_per_epoch", c.samples_per_epoch, where);
  c.mix_per_batch = get_or(j, "mix_per_batch", c.mix_per_batch, where);
  c.seed = get_or(j, "seed", c.seed, where);
  c.max_steps = get_or(j, "max_steps", c.max_steps, where);
  c.sync_batch_norm = get_or(j, "sync_batch_norm", c.sync_batch_norm, where);
  read_semi_supervised(j, where, c);
  return c;
}

SegmenterTrainConfig read_segmenter_run_config(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "config.json").string();
  if (!std::filesystem::exists(path))
    throw InputError(run_dir + ": not a train-seg run (no config.json)");
  auto json = nlohmann::json::parse(core::read_file(path), nullptr, false);
  if (json.is_discarded()) throw InputError(path + ": not valid JSON");
  return segmenter_train_config_from_json(json, path);
}

std::string resume_conflicts(const nlohmann::json& recorded, const SegmenterTrainConfig& given) {
  const auto now = to_json(given);
  std::string changes;
  for (const auto& [key, value] : now.items()) {
    if (key == "epochs" || key == "max_steps") continue;
    const auto before = recorded.contains(key) ? recorded.at(key) : nlohmann::json();
    if (before == value) continue;
    if (!changes.empty()) changes += ", ";
    changes += key + " " + before.dump() + " -> " + value.dump();
  }
  return changes;
}

}  // namespace lagm::downstream

#include "lagm/downstream/segmenter_train_config.h"

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/config_json.h"

namespace lagm::downstream {

nlohmann::json to_json(const SegmenterTrainConfig& c) {
  return {{"data", data::to_json(c.data)},
          {"validation", data::to_json(c.validation)},
          {"segmenter", c.segmenter},
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
}

SegmenterTrainConfig segmenter_train_config_from_json(const nlohmann::json& j,
                                                      const std::string& where) {
  using core::get_or;
  core::check_keys(
      j,
      {"data", "validation", "segmenter", "backbone_weights", "init", "epochs", "batch", "lr",
       "flip", "scale_crop", "color_jitter", "class_balance_power", "samples_per_epoch", "mix_data",
       "mix_per_batch", "seed", "max_steps", "sync_batch_norm"},
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
  if (j.contains("segmenter")) {
    if (!j.at("segmenter").is_object())
      throw InputError(where + ".segmenter: expected an object, got " + j.at("segmenter").dump());
    c.segmenter = j.at("segmenter");
  }
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

#include "lagm/annotator/annotator_snapshot.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include "lagm/core/atomic_file.h"
#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"

namespace lagm::annotator {
namespace fs = std::filesystem;

void write_snapshot(const std::string& path, const SnapshotInfo& info,
                    const core::TensorDict& tensors) {
  nlohmann::json meta = {
      {"kind", "annotator_snapshot"},
      {"config",
       {{"iteration", info.iteration},
        {"annotator", info.annotator},
        {"segmenter", info.segmenter ? models::to_json(*info.segmenter) : nlohmann::json()},
        {"provenance", to_json(info.provenance)},
        {"run", info.run},
        {"class_names", info.class_names},
        {"labelled_class_frequencies", info.labelled_class_frequencies},
        {"sampler", {{"epoch", info.sampler_epoch}, {"position", info.sampler_position}}},
        {"best", {{"fg_mIoU", info.best_fg_miou}, {"iteration", info.best_iteration}}},
        {"description", info.description}}}};
  const fs::path folder = fs::path(path).parent_path();
  core::create_folder_inside(folder.parent_path().string(), folder.filename().string());
  core::write_safetensors(path, tensors, {{"lagm", meta.dump()}, {"format", "pt"}});
}

Snapshot read_snapshot(const std::string& path) {
  auto file = core::read_safetensors(path);
  auto it = file.metadata.find("lagm");
  nlohmann::json meta = it == file.metadata.end()
                            ? nlohmann::json()
                            : nlohmann::json::parse(it->second, nullptr, false);
  if (meta.is_discarded() || !meta.is_object() || meta.value("kind", "") != "annotator_snapshot")
    throw InputError(path + ": not a train-annotator snapshot");
  try {
    const auto& c = meta.at("config");
    Snapshot s;
    s.info.iteration = c.at("iteration").get<int64_t>();
    s.info.annotator = c.at("annotator");
    if (!c.at("segmenter").is_null())
      s.info.segmenter =
          models::segmenter_config_from_json(c.at("segmenter"), path + ": segmenter");
    s.info.run = c.at("run");
    s.info.provenance =
        provenance_from_json(c.value("provenance", s.info.run),
                             path + (c.contains("provenance") ? ": provenance" : ": run"));
    s.info.class_names = c.at("class_names").get<std::vector<std::string>>();
    s.info.labelled_class_frequencies =
        c.value("labelled_class_frequencies", std::vector<double>());
    s.info.sampler_epoch = c.at("sampler").at("epoch").get<int64_t>();
    s.info.sampler_position = c.at("sampler").at("position").get<int64_t>();
    s.info.best_fg_miou = c.at("best").at("fg_mIoU").get<double>();
    s.info.best_iteration = c.at("best").at("iteration").get<int64_t>();
    s.info.description = c.value("description", nlohmann::json());
    s.tensors = std::move(file.tensors);
    s.tensors.source = path;
    s.tensors.require_finite();
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": malformed snapshot metadata: " + e.what());
  }
}

std::string snapshot_path(const std::string& run_dir, int64_t iteration) {
  char name[32];
  std::snprintf(name, sizeof name, "%06lld.safetensors", static_cast<long long>(iteration));
  return (fs::path(run_dir) / "snapshots" / name).string();
}

std::string latest_snapshot(const std::string& run_dir) {
  const fs::path dir = fs::path(run_dir) / "snapshots";
  if (!fs::is_directory(dir)) return "";
  const std::regex pattern(R"(^(\d{6})\.safetensors$)");
  std::string best;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, pattern) && name > fs::path(best).filename().string())
      best = e.path().string();
  }
  return best;
}

models::Annotator load_snapshot_annotator(const Snapshot& s) {
  auto a = models::make_annotator(s.info.annotator, s.tensors.source + ": annotator");
  const auto average = s.tensors.with_prefix_stripped(kAnnotatorAveragePrefix);
  core::load_state_dict(a.module(),
                        average.empty() ? s.tensors.with_prefix_stripped("A.") : average);
  a->eval();
  return a;
}

models::Segmenter load_snapshot_segmenter(const Snapshot& s) {
  if (!s.info.segmenter)
    throw InputError(s.tensors.source + ": holds no segmenter (its learner trains none)");
  models::Segmenter seg(*s.info.segmenter);
  core::load_state_dict(seg.module(), s.tensors.with_prefix_stripped("S."));
  seg.module().eval();
  return seg;
}

nlohmann::json to_json(const Provenance& p) {
  auto j = models::to_json(p.sampling);
  j["learner"] = p.learner;
  j["generator"] = p.generator;
  if (p.wide_crop) j["transform"] = {{"wide_crop", *p.wide_crop}};
  if (p.training_set) j["training_set"] = data::to_json(*p.training_set);
  return j;
}

Provenance provenance_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where + ": expected an object");
  Provenance p;
  // Snapshots read from their run: phase I's names its learner, pseudo-labelling its method.
  p.learner = core::get_or<std::string>(j, "learner",
                                        core::get_or<std::string>(j, "method", "", where), where);
  p.generator = core::get_or<std::string>(j, "generator", "", where);
  p.sampling = models::sampling_options_from_json(j, where);
  if (j.contains("transform"))
    p.wide_crop = core::get_or<bool>(j.at("transform"), "wide_crop", false, where + ".transform");
  if (j.contains("training_set"))
    p.training_set = data::dataset_spec_from_json(j.at("training_set"), where + ".training_set");
  return p;
}

}  // namespace lagm::annotator

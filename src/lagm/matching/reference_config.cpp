#include "lagm/matching/reference_config.h"

#include <filesystem>

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"

namespace lagm::matching {
namespace fs = std::filesystem;
using core::get_or;

bool is_reference_config(const nlohmann::json& j) {
  return j.is_object() && (j.contains("G_kwargs") || j.contains("training_set_kwargs"));
}

namespace {

std::string last_component(const std::string& class_name) {
  const auto dot = class_name.rfind('.');
  return dot == std::string::npos ? class_name : class_name.substr(dot + 1);
}

data::DatasetSpec dataset_from_reference(const nlohmann::json& j, const std::string& where,
                                         const fs::path& base) {
  const std::string cls = last_component(get_or<std::string>(j, "class_name", "", where));
  // The project's folder layout (img/, seg/, dataset.json), under the downstream loader's name.
  if (cls == "ImageLabelDataset" || cls == "FolderDataset") {
    data::DatasetSpec d;
    d.path = get_or<std::string>(j, "rootdir", get_or<std::string>(j, "path", "", where), where);
    if (!d.path.empty() && fs::path(d.path).is_relative()) d.path = (base / d.path).string();
    if (j.contains("img_size")) {
      const auto& s = j["img_size"];
      if (s.is_array() && s.size() == 2 && s[0] != s[1]) {
        // A non-square [W, H]: the data-set loader takes it as the reference does (PIL's (w, h)).
        d.source = j;
        d.source["class_name"] = "ImageLabelDataset";
        d.source.erase("path");
        d.source["rootdir"] = d.path;
        d.path.clear();
        return d;
      }
      d.img_size = s.is_array() ? s.at(0).get<int64_t>() : s.get<int64_t>();
    }
    d.limit = get_or<int64_t>(j, "max_number", get_or<int64_t>(j, "limit_size", 0, where), where);
    return d;
  }
  // The paper's loaders (CelebAMaskDataset, PascalPart, DatasetGANDataset, CGPart, ...) take the
  // kwargs as they are; data::open_dataset checks them when training starts. Their rootdir stays
  // relative to the working directory, as in the reference (its configs say "./data/...").
  data::DatasetSpec d;
  d.source = j;
  return d;
}

std::string resolve_generator(const nlohmann::json& g, const std::string& where,
                              const fs::path& base) {
  const std::string cls =
      last_component(get_or<std::string>(g, "class_name", "SynDataGenerator", where));
  std::string source;
  if (cls == "SynDataGenerator")
    source = get_or<std::string>(g, "generator_pkl", "", where);
  else if (cls == "StyleGANGenerator")
    source = get_or<std::string>(g, "generator_pt", "", where);
  else
    throw InputError(where + ".class_name: unknown generator class '" + cls + "'");
  if (source.empty()) throw InputError(where + ": no generator_pkl / generator_pt");
  fs::path p(source);
  if (p.is_relative()) p = base / p;
  if (p.extension() != ".safetensors") p.replace_extension(".safetensors");
  if (!fs::exists(p))
    throw InputError(where + ": " + p.string() + " not found; convert " + source +
                     " with tools/convert_stylegan2.py (it is looked for beside the original)");
  return p.string();
}

train::OptimizerConfig optimizer_from_reference(const nlohmann::json& j, const std::string& where) {
  return train::optimizer_config_from_json(j, where);
}

// A_kwargs and S_kwargs: the annotator's width and depth, the segmenter's class.
void read_reference_networks(const nlohmann::json& j, const std::string& where,
                             AnnotatorTrainConfig& c) {
  if (j.contains("A_kwargs")) {
    const auto& a = j["A_kwargs"];
    const std::string cls =
        last_component(get_or<std::string>(a, "class_name", "FPNLabelBranch", where));
    if (cls != "FPNLabelBranch")
      throw InputError(where + ".A_kwargs.class_name: unknown annotator '" + cls + "'");
    c.annotator_tmp_channels = get_or<int64_t>(a, "tmp_channels", 128, where);
    c.annotator_num_layers = get_or<int64_t>(a, "num_layers", 3, where);
  }
  if (j.contains("S_kwargs")) {
    const std::string cls =
        last_component(get_or<std::string>(j["S_kwargs"], "class_name", "UNet", where));
    if (cls == "UNet")
      c.segmenter = models::SegmenterConfig{};
    else if (cls == "DeepLabv3" || cls == "DeepLabV3") {
      c.segmenter.arch = models::SegmenterArch::kDeepLabV3ResNet101;
      c.segmenter_backbone =
          AnnotatorTrainConfig::kDefaultResnet101Path;  // the reference's pretrained_backbone=True
    } else
      throw InputError(where + ".S_kwargs.class_name: unknown segmenter '" + cls + "'");
  }
}

// The loop's counts (image_per_batch, total_iters, ticks and intervals).
void read_reference_schedule(const nlohmann::json& j, const std::string& where,
                             AnnotatorTrainConfig& c) {
  c.batch = get_or<int64_t>(j, "image_per_batch", c.batch, where);
  c.total_iters = get_or<int64_t>(j, "total_iters", c.total_iters, where);
  c.niter_per_tick = get_or<int64_t>(j, "niter_per_tick", c.niter_per_tick, where);
  c.snapshot_ticks = get_or<int64_t>(j, "network_snapshot_ticks", c.snapshot_ticks, where);
  c.annotator_interval = get_or<int64_t>(j, "A_interval", c.annotator_interval, where);
  c.segmenter_interval = get_or<int64_t>(j, "S_interval", c.segmenter_interval, where);
  c.seed = get_or<uint64_t>(j, "random_seed", c.seed, where);
}

}  // namespace

AnnotatorTrainConfig annotator_config_from_reference(const nlohmann::json& j,
                                                     const std::string& config_path) {
  const std::string& where = config_path;
  core::check_keys(j,
                   {"training_set_kwargs",
                    "validation_set_kwargs",
                    "G_kwargs",
                    "A_kwargs",
                    "S_kwargs",
                    "A_opt_kwargs",
                    "S_opt_kwargs",
                    "T_kwargs",
                    "matcher_kwargs",
                    "gmparam_regex",
                    "image_per_batch",
                    "total_iters",
                    "niter_per_tick",
                    "label_snapshot_ticks",
                    "network_snapshot_ticks",
                    "A_interval",
                    "S_interval",
                    "random_seed",
                    "cudnn_benchmark",
                    "allow_tf32",
                    "data_loader_kwargs"},
                   where);
  const fs::path base = fs::path(config_path).parent_path();
  AnnotatorTrainConfig c;  // the project's defaults are the reference's
  c.run_name = fs::path(config_path).stem().string();
  if (!j.contains("G_kwargs")) throw InputError(where + ": G_kwargs is required");
  const auto& g = j["G_kwargs"];
  c.generator = resolve_generator(g, where + ".G_kwargs", base);
  c.sampling.truncation_psi =
      get_or<double>(g, "truncation_psi", c.sampling.truncation_psi, where + ".G_kwargs");
  c.sampling.truncation_cutoff = get_or<int64_t>(
      g, "truncation_cutoff", c.sampling.truncation_cutoff.value_or(8), where + ".G_kwargs");
  c.sampling.noise_mode = models::NoiseMode::kRandom;  // the reference never changes it
  read_reference_networks(j, where, c);
  if (j.contains("A_opt_kwargs"))
    c.annotator_optimizer = optimizer_from_reference(j["A_opt_kwargs"], where + ".A_opt_kwargs");
  if (j.contains("S_opt_kwargs"))
    c.segmenter_optimizer = optimizer_from_reference(j["S_opt_kwargs"], where + ".S_opt_kwargs");
  c.gm_params = resolve_gm_params_regex(get_or<std::string>(j, "gmparam_regex", ".*", where));
  if (j.contains("matcher_kwargs")) {
    const auto& m = j["matcher_kwargs"];
    c.matcher.metric = parse_match_metric(get_or<std::string>(m, "metric", "cosine", where));
    c.matcher.reduction = parse_match_reduction(get_or<std::string>(m, "reduction", "mean", where));
  }
  if (j.contains("T_kwargs"))
    c.transform = transform_options_from_json(j["T_kwargs"], where + ".T_kwargs");
  read_reference_schedule(j, where, c);
  // Ranged as lagm's own config is, named by the reference's keys.
  check_config_counts(
      c, where,
      {"image_per_batch", "total_iters", "A_interval", "S_interval", "niter_per_tick",
       "network_snapshot_ticks", "A_kwargs.tmp_channels", "A_kwargs.num_layers"});
  if (!j.contains("training_set_kwargs"))
    throw InputError(where + ": training_set_kwargs is required");
  c.training_set =
      dataset_from_reference(j["training_set_kwargs"], where + ".training_set_kwargs", base);
  if (j.contains("validation_set_kwargs"))
    c.validation_set =
        dataset_from_reference(j["validation_set_kwargs"], where + ".validation_set_kwargs", base);
  return c;
}

}  // namespace lagm::matching

#include "lagm/data/dataset_spec.h"

#include <filesystem>
#include <map>
#include <set>

#include "lagm/core/atomic_file.h"
#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/data/class_remaps.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/data/skip_bad_dataset.h"

namespace lagm::data {
using core::check_keys;
using core::get_or;

namespace {

namespace fs = std::filesystem;

std::string last_component(const std::string& class_name) {
  const auto dot = class_name.rfind('.');
  return dot == std::string::npos ? class_name : class_name.substr(dot + 1);
}

/// Reads the keys a loader understands; any other key is an error, except reference options that
/// no config turns on, which must keep their inert value.
class Args {
 public:
  Args(const nlohmann::json& j, std::string where, std::set<std::string> known)
      : j_(j), where_(std::move(where)), known_(std::move(known)) {
    static const std::map<std::string, nlohmann::json> inert = {{"aug", false},
                                                                {"transform", nullptr},
                                                                {"to_square", false},
                                                                {"indices_path", nullptr},
                                                                {"bg_prob", 0}};
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "class_name" || known_.count(it.key())) continue;
      auto in = inert.find(it.key());
      if (in == inert.end()) throw InputError(where_ + ": unknown key '" + it.key() + "'");
      if (it.value() != in->second && !(it.value().is_null() && in->second == false))
        throw InputError(where_ + "." + it.key() + ": only " + in->second.dump() +
                         " is implemented (as in every reference config)");
    }
  }
  template <typename T>
  T get(const char* key, T fallback) const {
    return get_or<T>(j_, key, std::move(fallback), where_);
  }
  std::string required(const char* key) const {
    auto v = get<std::string>(key, "");
    if (v.empty()) throw InputError(where_ + "." + key + ": required");
    return v;
  }
  /// The reference loaders' PIL size: [W, H] (they call resize((w, h))), or one integer for a
  /// square (0: as stored).
  ImageSize size(const char* key, ImageSize fallback) const {
    if (!j_.contains(key) || j_.at(key).is_null()) return fallback;
    const auto& v = j_.at(key);
    const auto positive = [](const nlohmann::json& n) {
      return n.is_number_integer() && n.get<int64_t>() > 0;
    };
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return ImageSize::square(v.get<int64_t>());
    if (v.is_array() && v.size() == 2 && positive(v[0]) && positive(v[1]))
      return {v[0].get<int64_t>(), v[1].get<int64_t>()};
    throw InputError(where_ + "." + key +
                     ": expected an integer >= 0 or [width, height] > 0 (got " + v.dump() + ")");
  }
  bool has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }
  const nlohmann::json& at(const char* key) const { return j_.at(key); }

 private:
  const nlohmann::json& j_;
  std::string where_;
  std::set<std::string> known_;
};

/// "classes": a list of names, the name of a built-in list (dg_car_20, ...), or a count; absent:
/// the caller's hint (eval passes the model's class count).
std::vector<std::string> class_names_argument(const Args& a, const std::string& where,
                                              int64_t hint) {
  int64_t count = hint;
  if (a.has("classes")) {
    const auto& c = a.at("classes");
    if (c.is_array()) return a.get<std::vector<std::string>>("classes", {});
    if (c.is_string()) {
      try {
        return class_list(c.get<std::string>());
      } catch (const Error&) {
        throw InputError(where + ".classes: unknown class list '" + c.get<std::string>() + "'");
      }
    }
    if (!c.is_number_integer() || c.get<int64_t>() < 1)
      throw InputError(where + ".classes: expected a list of names, a class list name or a count");
    count = c.get<int64_t>();
  }
  if (count < 1)
    throw InputError(
        where +
        ": images paired with .npy labels need \"classes\" (names, a list name or a count)");
  std::vector<std::string> names;
  for (int64_t k = 0; k < count; ++k)
    names.push_back(k == 0 ? "background" : "class_" + std::to_string(k));
  return names;
}

std::unique_ptr<LabelledDataset> open_celeba(const nlohmann::json& spec, const std::string& where) {
  Args a(spec, where,
         {"rootdir", "split", "img_size", "limit_size", "convert_19to8", "imageset_folder"});
  CelebAMaskOptions o;
  o.split = a.get<std::string>("split", o.split);
  o.img_size = a.size("img_size", o.img_size);
  o.limit = a.get<int64_t>("limit_size", 0);
  o.convert_19to8 = a.get<bool>("convert_19to8", true);
  o.split_folder = a.get<std::string>("imageset_folder", "");
  // The reference's default 'celeba_split' is relative to its working directory; lagm ships the
  // same lists built in, so that name means "the built-in lists" unless such a folder exists.
  if (o.split_folder == "celeba_split" && !fs::is_directory(o.split_folder)) o.split_folder.clear();
  return std::make_unique<CelebAMaskDataset>(a.get<std::string>("rootdir", "./data/CelebAMask-HQ"),
                                             o);
}

std::unique_ptr<LabelledDataset> open_pascal_part(const nlohmann::json& spec,
                                                  const std::string& where) {
  Args a(spec, where,
         {"rootdir", "split", "img_folder", "seg_folder", "img_size", "max_size", "obj"});
  PascalPartOptions o;
  o.split = a.get<std::string>("split", o.split);
  o.img_folder = a.get<std::string>("img_folder", "");
  o.seg_folder = a.get<std::string>("seg_folder", "");
  o.img_size = a.size("img_size", o.img_size);
  o.max_size = a.get<int64_t>("max_size", 0);
  o.obj = a.get<std::string>("obj", "");
  return std::make_unique<PascalPartDataset>(a.required("rootdir"), o);
}

std::unique_ptr<LabelledDataset> open_datasetgan(const nlohmann::json& spec,
                                                 const std::string& where) {
  Args a(spec, where,
         {"rootdir", "obj", "split", "img_size", "max_size", "id_range", "convert_34to8"});
  DatasetGANOptions o;
  o.obj = a.get<std::string>("obj", o.obj);
  o.split = a.get<std::string>("split", o.split);
  o.img_size = a.size("img_size", o.img_size);
  o.max_size = a.get<int64_t>("max_size", 0);
  if (a.has("id_range")) {
    const auto r = a.get<std::vector<int64_t>>("id_range", {});
    if (r.size() != 2) throw InputError(where + ".id_range: expected [lo, hi]");
    o.id_range = std::make_pair(r[0], r[1]);
  }
  o.convert_34to8 = a.get<bool>("convert_34to8", false);
  return std::make_unique<DatasetGANDataset>(
      a.get<std::string>("rootdir", "./data/DatasetGAN/annotation"), o);
}

// CGPart's renders, or (real) its photos.
std::unique_ptr<LabelledDataset> open_cgpart(const nlohmann::json& spec, const std::string& where,
                                             bool real) {
  Args a(
      spec, where,
      real ? std::set<std::string>{"rootdir", "obj_name", "split", "short_side", "classes_version"}
           : std::set<std::string>{"rootdir", "obj_name", "dst_shape", "length", "classes_version",
                                   "selected_models", "numpy_seed"});
  if (a.get<std::string>("obj_name", "car") != "car")
    throw InputError(where + ".obj_name: only 'car' is implemented");
  const auto version = a.get<std::string>("classes_version", "CGPart_car_simplified_v0");
  if (version != "CGPart_car_simplified_v0" && version != "CGPart_car_simplified_v1")
    throw InputError(where + ".classes_version: expected CGPart_car_simplified_v0 or _v1");
  const int v = version.back() - '0';
  if (real) {
    CGPartRealOptions o;
    o.split = a.get<std::string>("split", o.split);
    o.short_side = a.get<int64_t>("short_side", o.short_side);
    o.version = v;
    return std::make_unique<CGPartRealDataset>(a.get<std::string>("rootdir", "./data/CGPart_real"),
                                               o);
  }
  CGPartOptions o;
  if (a.has("dst_shape")) {
    const auto s = a.get<std::vector<int64_t>>("dst_shape", {});
    if (s.size() != 2) throw InputError(where + ".dst_shape: expected [W, H]");
    o.width = s[0], o.height = s[1];
  }
  o.length = a.get<int64_t>("length", o.length);
  o.version = v;
  o.models = a.get<std::vector<std::string>>("selected_models", o.models);
  o.numpy_seed = a.get<uint32_t>("numpy_seed", 0);
  return std::make_unique<CGPartDataset>(a.get<std::string>("rootdir", "./data/CGPart_render/car"),
                                         o);
}

std::unique_ptr<LabelledDataset> open_unchecked(const nlohmann::json& spec,
                                                const std::string& where, bool skip_bad,
                                                int64_t num_classes_hint) {
  if (spec.is_string())
    return open_unchecked(nlohmann::json{{"path", spec}}, where, skip_bad, num_classes_hint);
  if (!spec.is_object()) throw InputError(where + ": a data set is a folder path or a JSON object");
  const std::string cls = last_component(spec.value("class_name", std::string("FolderDataset")));
  const bool no_class = !spec.contains("class_name");
  if (cls == "SortedPairs" || (no_class && spec.contains("path") && spec["path"].is_string() &&
                               SortedPairsDataset::looks_like(spec["path"]))) {
    Args a(spec, where, {"path", "rootdir", "img_size", "classes"});
    SortedPairsOptions o;
    o.img_size = a.size("img_size", {});
    o.class_names = class_names_argument(a, where, num_classes_hint);
    return std::make_unique<SortedPairsDataset>(
        a.has("path") ? a.required("path") : a.required("rootdir"), o);
  }
  if (cls == "FolderDataset" || cls == "ImageLabelDataset") {
    Args a(spec, where, {"path", "rootdir", "img_size", "limit", "max_number"});
    FolderDatasetOptions o;
    const auto size = a.size("img_size", {});
    o.img_height = size.height;
    o.img_width = size.width;
    o.limit = a.get<int64_t>("limit", a.get<int64_t>("max_number", 0));
    o.skip_bad = skip_bad;
    return std::make_unique<FolderDataset>(
        a.has("path") ? a.required("path") : a.required("rootdir"), o);
  }
  if (cls == "CelebAMaskDataset") return open_celeba(spec, where);
  if (cls == "PascalPart") return open_pascal_part(spec, where);
  if (cls == "DatasetGANDataset") return open_datasetgan(spec, where);
  if (cls == "CGPart" || cls == "CGPartReal") return open_cgpart(spec, where, cls == "CGPartReal");
  throw InputError(where + ".class_name: unknown data set class '" + cls +
                   "' (FolderDataset, CelebAMaskDataset, PascalPart, DatasetGANDataset, CGPart, "
                   "CGPartReal, SortedPairs)");
}

}  // namespace

std::unique_ptr<LabelledDataset> open_dataset(const nlohmann::json& spec, const std::string& where,
                                              bool skip_bad, int64_t num_classes_hint) {
  auto dataset = open_unchecked(spec, where, skip_bad, num_classes_hint);
  if (!skip_bad) return dataset;
  return std::make_unique<SkipBadDataset>(std::move(dataset));
}

nlohmann::json parse_dataset_argument(const std::string& text) {
  if (!text.empty() && text.front() == '{') {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) throw SettingError("data", "is not valid JSON: " + text);
    return j;
  }
  if (text.size() > 5 && text.substr(text.size() - 5) == ".json" && fs::is_regular_file(text)) {
    auto j = nlohmann::json::parse(core::read_file(text), nullptr, false);
    if (j.is_discarded()) throw InputError(text + ": not valid JSON");
    return j;
  }
  return text;
}

DatasetSpec dataset_spec_from_json(const nlohmann::json& j, const std::string& where) {
  if (j.is_string()) return {j.get<std::string>(), 0, 0, nullptr};
  if (j.is_object() && j.contains("class_name")) {
    DatasetSpec d;
    d.source = j;  // validated by open_dataset when the trainer opens it
    return d;
  }
  check_keys(j, {"path", "img_size", "limit"}, where);
  DatasetSpec d;
  d.path = get_or<std::string>(j, "path", "", where);
  d.img_size = get_or<int64_t>(j, "img_size", 0, where);
  d.limit = get_or<int64_t>(j, "limit", 0, where);
  if (d.img_size < 0 || d.limit < 0) throw InputError(where + ": img_size and limit must be >= 0");
  return d;
}

nlohmann::json to_json(const DatasetSpec& d) {
  if (!d.source.is_null()) return d.source;
  return {{"path", d.path}, {"img_size", d.img_size}, {"limit", d.limit}};
}

std::unique_ptr<LabelledDataset> open_labelled_dataset(const DatasetSpec& d,
                                                       const std::string& where) {
  if (d.empty()) throw InputError(where + ": no data set given");
  return open_dataset(to_json(d), where);
}

}  // namespace lagm::data

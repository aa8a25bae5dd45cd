#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "lagm/core/error.h"
#include "lagm/core/parse_int.h"
#include "lagm/data/class_remaps.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/io/image.h"
#include "lagm/io/npy.h"

namespace lagm::data {
namespace fs = std::filesystem;

namespace {

int64_t parse_key(const std::string& text, const std::string& stem) {
  const auto v = core::parse_int64(text);
  if (!v) throw InputError(stem + ": no image number in the file name");
  return *v;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

int64_t DatasetGANDataset::image_sort_key(const std::string& stem) {
  const auto pos = stem.rfind('_');
  return parse_key(pos == std::string::npos ? stem : stem.substr(pos + 1), stem);
}

int64_t DatasetGANDataset::label_sort_key(const std::string& stem) {
  // Python's str.strip('image_mask') removes any of these characters from both ends.
  const std::string set = "image_mask";
  size_t b = 0, e = stem.size();
  while (b < e && set.find(stem[b]) != std::string::npos) ++b;
  while (e > b && set.find(stem[e - 1]) != std::string::npos) --e;
  return parse_key(stem.substr(b, e - b), stem);
}

DatasetGANDataset::DatasetGANDataset(std::string root, DatasetGANOptions o)
    : options_(std::move(o)) {
  root_ = std::move(root);
  int64_t n_class;
  if (options_.obj == "car")
    n_class = 20, class_names_ = class_list("dg_car_20");
  else if (options_.obj == "cat")
    n_class = 16, class_names_ = class_list("dg_cat");
  else if (options_.obj == "face")
    n_class = 34, class_names_ = class_list(options_.convert_34to8 ? "dg_face_8" : "dg_face");
  else
    throw InputError("DatasetGANDataset: unknown obj '" + options_.obj + "' (car, cat, face)");
  fs::path dir;
  if (options_.split == "train")
    dir = fs::path(root_) / "training_data" / (options_.obj + "_processed");
  else if (options_.split == "test")
    dir = fs::path(root_) / "testing_data" /
          (options_.obj + "_" + std::to_string(n_class) + "_class");
  else
    throw InputError("DatasetGANDataset: unknown split '" + options_.split + "' (train, test)");
  if (!fs::is_directory(dir)) throw InputError(dir.string() + ": no such DatasetGAN folder");
  std::vector<std::pair<int64_t, std::string>> images, labels;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = lower(e.path().extension().string());
    const auto stem = e.path().stem().string();
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg")
      images.emplace_back(image_sort_key(stem), e.path().string());
    else if (e.path().string().size() > 4 &&
             e.path().string().substr(e.path().string().size() - 4) == ".npy")
      labels.emplace_back(label_sort_key(stem), e.path().string());
  }
  std::stable_sort(images.begin(), images.end(),
                   [](auto& a, auto& b) { return a.first < b.first; });
  std::stable_sort(labels.begin(), labels.end(),
                   [](auto& a, auto& b) { return a.first < b.first; });
  if (images.size() != labels.size())
    throw InputError(dir.string() + ": " + std::to_string(images.size()) + " images but " +
                     std::to_string(labels.size()) + " .npy labels (they pair by sorted position)");
  size_t lo = 0, hi = images.size();
  if (options_.id_range) {
    lo = static_cast<size_t>(
        std::clamp<int64_t>(options_.id_range->first, 0, static_cast<int64_t>(hi)));
    hi = static_cast<size_t>(std::clamp<int64_t>(
        options_.id_range->second, static_cast<int64_t>(lo), static_cast<int64_t>(hi)));
  } else if (options_.max_size > 0) {
    hi = std::min(hi, static_cast<size_t>(options_.max_size));
  }
  for (size_t i = lo; i < hi; ++i) {
    image_files_.push_back(images[i].second);
    label_files_.push_back(labels[i].second);
    ids_.push_back(fs::path(images[i].second).stem().string());
  }
  if (ids_.empty()) throw InputError(dir.string() + ": no samples");
}

Sample DatasetGANDataset::get(size_t index) const {
  TORCH_CHECK(index < ids_.size(), "DatasetGANDataset index out of range");
  auto image =
      io::read_image(image_files_[index]);  // RGBA -> RGB (the reference would fail on alpha)
  const auto& label_path = label_files_[index];
  auto label = read_label_array(label_path);
  if (label.dim() == 3) label = label[0];
  if (label.dim() != 2) throw InputError(label_path + ": expected a 2-D (or 3-D) label array");
  label = label.to(torch::kInt64).clone();
  // DatasetGAN's clean-up at the original resolution: classes 1..49 with < 30 pixels become 0.
  for (int64_t t = 1; t < 50; ++t) {
    const auto m = label == t;
    if (m.sum().item<int64_t>() < 30) label.masked_fill_(m, 0);
  }
  if (options_.obj == "face" && options_.convert_34to8) label = remap_face_34_to_8(label);
  label = label.to(torch::kUInt8);  // numpy astype(uint8)
  return finish(image, label, ids_[index], label_path, options_.img_size.height,
                options_.img_size.width);
}

}  // namespace lagm::data

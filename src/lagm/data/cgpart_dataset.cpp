#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "lagm/core/error.h"
#include "lagm/core/numpy_random.h"
#include "lagm/data/class_remaps.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/io/image.h"

namespace lagm::data {
namespace fs = std::filesystem;

namespace {
const char* version_list(int version) {
  return version == 0 ? "CGPart_car_simplified_v0" : "CGPart_car_simplified_v1";
}
}  // namespace

std::string CGPartDataset::model_id(const std::string& name) {
  static const std::map<std::string, std::string> ids = {
      {"minivan", "4ef6af15bcc78650bedced414fad522f"},
      {"truck", "42af1d5d3b2524003e241901f2025878"},
      {"suv", "473dd606c5ef340638805e546aa28d99"},
      {"sedan", "6710c87e34056a29aa69dfdc5532bb13"},
      {"wagon", "bad0a52f07afc2319ed410a010efa019"}};
  auto it = ids.find(name);
  if (it == ids.end())
    throw InputError("CGPart: unknown car model '" + name +
                     "' (minivan, truck, suv, sedan, wagon)");
  return it->second;
}

CGPartDataset::CGPartDataset(std::string root, CGPartOptions o) : options_(std::move(o)) {
  root_ = std::move(root);
  class_names_ = class_list(version_list(options_.version));
  std::vector<std::string> images, segs, ids;
  for (const auto& model : options_.models) {
    const auto dir = fs::path(root_) / "image" / model_id(model);
    if (!fs::is_directory(dir))
      throw InputError(dir.string() + ": no such CGPart model folder (" + model + ")");
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".png") names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      images.push_back((dir / n).string());
      segs.push_back((fs::path(root_) / "seg" / model_id(model) / n).string());
      ids.push_back(model_id(model) + "/" + fs::path(n).stem().string());
    }
  }
  // The reference shuffles with the global NumPy RNG (seeded 0 before construction), keeps
  // `length`.
  std::vector<int64_t> order(images.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  core::NumpyRandomState rng(options_.numpy_seed);
  rng.shuffle(order);
  if (options_.length > 0 && order.size() > static_cast<size_t>(options_.length))
    order.resize(static_cast<size_t>(options_.length));
  for (int64_t i : order) {
    image_files_.push_back(images[static_cast<size_t>(i)]);
    seg_files_.push_back(segs[static_cast<size_t>(i)]);
    ids_.push_back(ids[static_cast<size_t>(i)]);
  }
  if (ids_.empty()) throw InputError(root_ + ": no CGPart renders found");
}

Sample CGPartDataset::get(size_t index) const {
  TORCH_CHECK(index < ids_.size(), "CGPartDataset index out of range");
  auto image = io::read_image(image_files_[index]);  // RGBA -> RGB: alpha dropped, not composited
  auto seg = io::read_mask_png(seg_files_[index]);
  seg = remap_cgpart_car(seg, options_.version);
  return finish(image, seg, ids_[index], seg_files_[index], options_.height, options_.width,
                io::ResizeFilter::kLanczos);
}

CGPartRealDataset::CGPartRealDataset(std::string root, CGPartRealOptions o)
    : options_(std::move(o)) {
  root_ = std::move(root);
  class_names_ = class_list(version_list(options_.version));
  const auto list =
      (fs::path(root_) / "Image_sets" / ("car_imagenet_" + options_.split + ".txt")).string();
  std::ifstream in(list);
  if (!in) throw InputError(list + ": cannot open the CGPart-real id list");
  std::string line;
  while (std::getline(in, line)) {
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) ids_.push_back(line);
  }
  if (ids_.empty()) throw InputError(list + ": no ids");
}

Sample CGPartRealDataset::get(size_t index) const {
  TORCH_CHECK(index < ids_.size(), "CGPartRealDataset index out of range");
  const auto img_path =
      (fs::path(root_) / "Images" / "car_imagenet_cropped" / (ids_[index] + ".JPEG")).string();
  const auto seg_path =
      (fs::path(root_) / "Annotations_png" / "car_imagenet_cropped" / (ids_[index] + ".png"))
          .string();
  auto image = io::read_image(img_path);
  auto seg = io::read_mask_png(seg_path);
  if (image.size(0) != seg.size(0) || image.size(1) != seg.size(1))
    throw InputError(seg_path + ": label size differs from the image's");
  // torchvision resize(img, short_side): the short side becomes short_side, the long side int(s *
  // long / short).
  const int64_t h = image.size(0), w = image.size(1), s = options_.short_side;
  const int64_t oh = w < h ? static_cast<int64_t>(static_cast<double>(s) * static_cast<double>(h) /
                                                  static_cast<double>(w))
                           : s;
  const int64_t ow = w < h ? s
                           : static_cast<int64_t>(static_cast<double>(s) * static_cast<double>(w) /
                                                  static_cast<double>(h));
  seg = remap_cgpart_car(seg, options_.version);
  return finish(image, seg, ids_[index], seg_path, oh, ow, io::ResizeFilter::kBilinear);
}

}  // namespace lagm::data

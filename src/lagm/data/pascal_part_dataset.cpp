#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "lagm/core/error.h"
#include "lagm/data/class_remaps.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/io/image.h"

namespace lagm::data {
namespace fs = std::filesystem;

PascalPartDataset::PascalPartDataset(std::string root, PascalPartOptions o)
    : options_(std::move(o)) {
  root_ = std::move(root);
  if (!fs::is_directory(root_)) throw InputError(root_ + ": no such Pascal-Part folder");
  if (options_.img_folder.empty())
    options_.img_folder = (fs::path(root_) / "CroppedImages").string();
  if (options_.seg_folder.empty())
    options_.seg_folder = (fs::path(root_) / "CroppedSegmentation").string();
  std::string obj = options_.obj;
  if (obj.empty())
    obj = root_.find("aeroplane") != std::string::npos ? "aeroplane"
          : root_.find("horse") != std::string::npos   ? "horse"
                                                       : "";
  if (obj != "horse" && obj != "aeroplane")
    throw InputError(root_ + ": cannot tell horse from aeroplane; give \"obj\"");
  class_names_ = class_list("PascalPart_" + obj);
  if (options_.split == "train" || options_.split == "val") {
    const auto list = (fs::path(root_) / (options_.split + "_set.txt")).string();
    std::ifstream in(list);
    if (!in) throw InputError(list + ": cannot open the split list");
    std::string line;
    while (std::getline(in, line)) {
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (line.empty()) continue;
      if (line.size() > 4 && line.substr(line.size() - 4) == ".png") line.resize(line.size() - 4);
      ids_.push_back(line);
    }
  } else if (options_.split == "test") {
    if (!fs::is_directory(options_.img_folder))
      throw InputError(options_.img_folder + ": no such image folder");
    for (const auto& e : fs::directory_iterator(options_.img_folder)) {
      const auto ext = e.path().extension().string();
      if (ext == ".jpg" || ext == ".png" || ext == ".webp")
        ids_.push_back(e.path().stem().string());
    }
    std::sort(ids_.begin(), ids_.end());
  } else {
    throw InputError("PascalPart: unknown split '" + options_.split + "' (train, val, test)");
  }
  if (options_.max_size > 0 && ids_.size() > static_cast<size_t>(options_.max_size))
    ids_.resize(static_cast<size_t>(options_.max_size));
  if (ids_.empty()) throw InputError(root_ + ": no samples in split " + options_.split);
}

Sample PascalPartDataset::get(size_t index) const {
  TORCH_CHECK(index < ids_.size(), "PascalPartDataset index out of range");
  const auto img_path = (fs::path(options_.img_folder) / (ids_[index] + ".png")).string();
  const auto seg_path = (fs::path(options_.seg_folder) / (ids_[index] + ".png")).string();
  auto image = io::read_image(img_path);
  auto seg = io::read_mask_png(seg_path);
  if (image.size(0) != seg.size(0) || image.size(1) != seg.size(1))
    throw InputError(seg_path + ": label is " + std::to_string(seg.size(1)) + "x" +
                     std::to_string(seg.size(0)) + " but the image is " +
                     std::to_string(image.size(1)) + "x" + std::to_string(image.size(0)));
  return finish(image, seg, ids_[index], seg_path, options_.img_size.height,
                options_.img_size.width);
}

}  // namespace lagm::data

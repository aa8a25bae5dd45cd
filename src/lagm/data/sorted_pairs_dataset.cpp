#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "lagm/core/error.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/io/image.h"
#include "lagm/io/npy.h"

namespace lagm::data {
namespace fs = std::filesystem;

namespace {

// The reference tests `'npy' in path`; on the file name, so that a folder called "npy_data" does
// not turn every image into a label.
bool is_label_file(const fs::path& p) {
  return p.filename().string().find("npy") != std::string::npos;
}

}  // namespace

bool SortedPairsDataset::looks_like(const std::string& folder) {
  if (!fs::is_directory(folder) || fs::is_directory(fs::path(folder) / "img")) return false;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.is_regular_file() && is_label_file(e.path())) return true;
  return false;
}

SortedPairsDataset::SortedPairsDataset(std::string root, SortedPairsOptions o)
    : options_(std::move(o)) {
  root_ = std::move(root);
  if (!fs::is_directory(root_)) throw InputError(root_ + ": no such folder");
  if (options_.class_names.empty())
    throw InputError(
        root_ + ": images paired with .npy labels do not name their classes; give \"classes\"");
  class_names_ = options_.class_names;
  for (const auto& e : fs::directory_iterator(root_)) {
    if (!e.is_regular_file())
      continue;  // glob('*') also lists folders; opening one would fail anyway
    (is_label_file(e.path()) ? label_files_ : image_files_).push_back(e.path().string());
  }
  std::sort(image_files_.begin(), image_files_.end());
  std::sort(label_files_.begin(), label_files_.end());
  if (image_files_.size() != label_files_.size())
    throw InputError(root_ + ": " + std::to_string(image_files_.size()) + " images but " +
                     std::to_string(label_files_.size()) +
                     " .npy labels (they pair by sorted position)");
  if (image_files_.empty()) throw InputError(root_ + ": no samples");
  for (const auto& f : image_files_) ids_.push_back(fs::path(f).stem().string());
}

Sample SortedPairsDataset::get(size_t index) const {
  TORCH_CHECK(index < ids_.size(), "SortedPairsDataset index out of range");
  auto image = io::read_image(image_files_[index]);
  const auto& label_path = label_files_[index];
  auto label = read_label_array(label_path);
  if (label.dim() == 3) label = label.select(2, 0);  // [:, :, 0], unlike DatasetGANDataset's [0]
  if (label.dim() != 2) throw InputError(label_path + ": expected a 2-D (or 3-D) label array");
  if (label.size(0) != image.size(0) || label.size(1) != image.size(1))
    throw InputError(label_path + ": label is " + std::to_string(label.size(1)) + "x" +
                     std::to_string(label.size(0)) + " but " + image_files_[index] + " is " +
                     std::to_string(image.size(1)) + "x" + std::to_string(image.size(0)));
  label = label.to(torch::kInt64)
              .to(torch::kUInt8)
              .contiguous();  // numpy astype(uint8): wraps modulo 256
  return finish(image, label, ids_[index], label_path, options_.img_size.height,
                options_.img_size.width);
}

}  // namespace lagm::data

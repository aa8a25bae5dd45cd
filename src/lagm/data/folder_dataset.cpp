#include "lagm/data/folder_dataset.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/io/image.h"
#include "lagm/io/resize.h"

namespace lagm::data {
namespace fs = std::filesystem;

FolderDataset::FolderDataset(std::string root, FolderDatasetOptions options)
    : root_(std::move(root)), options_(options) {
  const fs::path dir(root_);
  if (!fs::is_directory(dir)) throw InputError(root_ + ": no such data folder");
  const fs::path json_path = dir / "dataset.json";
  if (!fs::exists(json_path))
    throw InputError(json_path.string() + ": missing (it lists the class names)");
  auto info = nlohmann::json::parse(core::read_file(json_path.string()), nullptr, false);
  if (info.is_discarded() || !info.is_object() || !info.contains("classes") ||
      !info["classes"].is_array() || info["classes"].empty())
    throw InputError(json_path.string() +
                     ": expected a JSON object with a non-empty 'classes' list");
  for (const auto& c : info["classes"])
    class_names_.push_back(c.is_string() ? c.get<std::string>() : c.dump());
  if (!fs::is_directory(dir / "img")) throw InputError(root_ + ": no img/ folder");
  std::vector<std::pair<std::string, std::string>> found;
  for (const auto& e : fs::directory_iterator(dir / "img")) {
    const auto ext = e.path().extension().string();
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".PNG" || ext == ".JPG")
      found.emplace_back(e.path().stem().string(), e.path().string());
  }
  std::sort(found.begin(), found.end());
  // A "samples" list (written by `lagm synthesize` filters) restricts the set to those ids.
  if (info.contains("samples") && !info["samples"].is_array())
    throw InputError(root_ + "/dataset.json: \"samples\" must be a list of sample ids");
  if (info.contains("samples")) {
    std::set<std::string> keep;
    for (const auto& s : info["samples"]) {
      if (!s.is_string())
        throw InputError(root_ + "/dataset.json: \"samples\" entries must be sample ids (strings)");
      keep.insert(s.get<std::string>());
    }
    std::vector<std::pair<std::string, std::string>> filtered;
    for (auto& f : found)
      if (keep.count(f.first)) filtered.push_back(f);
    if (filtered.size() != keep.size())
      throw InputError(json_path.string() + ": lists " + std::to_string(keep.size()) +
                       " samples but only " + std::to_string(filtered.size()) + " exist in img/");
    found = std::move(filtered);
  }
  for (const auto& [id, file] : found) {
    if (!fs::exists(dir / "seg" / (id + ".png"))) {
      if (options_.skip_bad) {
        ++skipped_;
        continue;
      }
      throw InputError((dir / "seg" / (id + ".png")).string() + ": missing label for " + file);
    }
    ids_.push_back(id);
    image_files_.push_back(file);
  }
  if (options_.limit > 0 && ids_.size() > static_cast<size_t>(options_.limit)) {
    ids_.resize(options_.limit);
    image_files_.resize(options_.limit);
  }
  if (ids_.empty()) throw InputError(root_ + ": no image/label pairs found");
}

Sample FolderDataset::get(size_t index) const {
  TORCH_CHECK(index < ids_.size(), "FolderDataset index out of range");
  const std::string seg_path = (fs::path(root_) / "seg" / (ids_[index] + ".png")).string();
  auto image = io::read_image(image_files_[index]);
  auto mask = io::read_mask_png(seg_path);
  if (image.size(0) != mask.size(0) || image.size(1) != mask.size(1))
    throw InputError(seg_path + ": label is " + std::to_string(mask.size(1)) + "x" +
                     std::to_string(mask.size(0)) + " but the image is " +
                     std::to_string(image.size(1)) + "x" + std::to_string(image.size(0)));
  auto bad = (mask != 255) & (mask.to(torch::kInt64) >= num_classes());
  if (bad.any().item<bool>())
    throw InputError(seg_path + ": class index " +
                     std::to_string(mask.masked_select(bad).max().item<int>()) +
                     " out of range for " + std::to_string(num_classes()) + " classes");
  if (options_.img_height > 0 &&
      (image.size(0) != options_.img_height || image.size(1) != options_.img_width)) {
    image = io::resize_pil(image, options_.img_height, options_.img_width);
    mask = io::resize_nearest_pil(mask, options_.img_height, options_.img_width);
  }
  return {io::to_float_image(image), mask.to(torch::kInt64), ids_[index]};
}

std::pair<torch::Tensor, torch::Tensor> load_batch(const LabelledDataset& dataset,
                                                   const std::vector<size_t>& indices) {
  std::vector<torch::Tensor> images, labels;
  for (size_t i : indices) {
    auto s = dataset.get(i);
    if (!images.empty() && s.image.sizes() != images[0].sizes())
      throw InputError(dataset.root() + ": images of different sizes in one batch (" + s.id +
                       "); set an img_size to resize them");
    images.push_back(s.image);
    labels.push_back(s.label);
  }
  return {torch::stack(images), torch::stack(labels)};
}

namespace {

// The two files of a sample, into img/ and seg/ made before.
void write_sample_files(const std::string& root, const std::string& name,
                        const torch::Tensor& image_u8, const torch::Tensor& mask_u8) {
  io::write_png((fs::path(root) / "img" / (name + ".png")).string(), image_u8);
  io::write_mask_png((fs::path(root) / "seg" / (name + ".png")).string(), mask_u8);
}

}  // namespace

void write_folder_sample(const std::string& root, const std::string& name,
                         const torch::Tensor& image_u8, const torch::Tensor& mask_u8) {
  core::create_folder_inside(root, "img");
  core::create_folder_inside(root, "seg");
  write_sample_files(root, name, image_u8, mask_u8);
}

void write_folder_samples(const std::string& root, const std::vector<std::string>& names,
                          const torch::Tensor& images_u8, const torch::Tensor& masks_u8) {
  core::create_folder_inside(root, "img");
  core::create_folder_inside(root, "seg");
  at::parallel_for(0, static_cast<int64_t>(names.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      write_sample_files(root, names[static_cast<size_t>(i)], images_u8[i], masks_u8[i]);
  });
}

void write_dataset_json(const std::string& root, const nlohmann::json& info) {
  fs::create_directories(root);
  core::write_file_atomic((fs::path(root) / "dataset.json").string(), info.dump(1) + "\n");
}

}  // namespace lagm::data

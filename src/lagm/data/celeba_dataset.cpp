#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lagm/core/error.h"
#include "lagm/data/class_remaps.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/io/image.h"

namespace lagm::data {
namespace fs = std::filesystem;

std::vector<int64_t> CelebAMaskDataset::builtin_split(const std::string& split) {
  int64_t lo, hi;  // inclusive
  if (split == "train")
    lo = 28000, hi = 29499;
  else if (split == "val")
    lo = 27500, hi = 27999;
  else if (split == "test")
    lo = 29500, hi = 29999;
  else if (split == "unlabel")
    lo = 0, hi = 27999;
  else
    throw InputError("CelebAMaskDataset: unknown split '" + split +
                     "' (train, val, test, unlabel)");
  std::vector<int64_t> ids;
  for (int64_t i = lo; i <= hi; ++i) ids.push_back(i);
  return ids;
}

CelebAMaskDataset::CelebAMaskDataset(std::string root, CelebAMaskOptions o)
    : options_(std::move(o)) {
  root_ = std::move(root);
  if (!fs::is_directory(root_)) throw InputError(root_ + ": no such CelebAMask-HQ folder");
  std::vector<int64_t> ids;
  if (options_.split_folder.empty()) {
    ids = builtin_split(options_.split);
  } else {
    const auto list = (fs::path(options_.split_folder) / (options_.split + ".txt")).string();
    std::ifstream in(list);
    if (!in) throw InputError(list + ": cannot open the split list");
    std::string line;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        ids.push_back(std::stoll(line));
      } catch (const std::exception&) {
        throw InputError(list + ": '" + line + "' is not an image id");
      }
    }
  }
  if (options_.limit > 0 && ids.size() > static_cast<size_t>(options_.limit))
    ids.resize(static_cast<size_t>(options_.limit));
  for (int64_t id : ids) ids_.push_back(std::to_string(id));
  class_names_ = class_list(options_.convert_19to8 ? "celebA_8" : "celebA_19");
}

Sample CelebAMaskDataset::get(size_t index) const {
  TORCH_CHECK(index < ids_.size(), "CelebAMaskDataset index out of range");
  const int64_t id = std::stoll(ids_[index]);
  auto image =
      io::read_image((fs::path(root_) / "CelebA-HQ-img" / (ids_[index] + ".jpg")).string());
  const auto mask_dir = fs::path(root_) / "CelebAMask-HQ-mask-anno" / std::to_string(id / 2000);
  auto mask = torch::zeros({512, 512}, torch::kUInt8);
  const auto& parts = class_list("celebA_19");
  for (size_t cls = 1; cls < parts.size(); ++cls) {
    char name[64];
    std::snprintf(name, sizeof name, "%05lld_%s.png", static_cast<long long>(id),
                  parts[cls].c_str());
    const auto path = mask_dir / name;
    if (!fs::exists(path)) continue;  // a part that is absent has no file
    const auto rgb = io::read_image(path.string()).to(torch::kInt64);
    if (rgb.size(0) != 512 || rgb.size(1) != 512)
      throw InputError(path.string() + ": part mask is " + std::to_string(rgb.size(1)) + "x" +
                       std::to_string(rgb.size(0)) + ", expected 512x512");
    // PIL convert('L') is (R 19595 + G 38470 + B 7471 + 0x8000) >> 16; a part pixel is L > 0.
    const auto part = (rgb.select(2, 0) * 19595 + rgb.select(2, 1) * 38470 +
                       rgb.select(2, 2) * 7471 + 0x8000) >= 65536;
    mask.masked_fill_(part, static_cast<int64_t>(cls));  // later parts overwrite earlier ones
  }
  if (options_.convert_19to8) mask = remap_celeba_19_to_8(mask);
  return finish(image, mask, ids_[index], mask_dir.string(), options_.img_size.height,
                options_.img_size.width);
}

}  // namespace lagm::data

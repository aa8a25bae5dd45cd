// The project's own data set layout: DIR/img/NAME.png (or .jpg) and
// DIR/seg/NAME.png (8-bit palette or gray PNG, pixel = class index, 255 = ignore), plus
// DIR/dataset.json {"classes": [...], ...}. What `lagm synthesize` and `lagm render` write and what
// users bring.
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/data/labelled_dataset.h"

namespace lagm::data {

/// Options of `FolderDataset`.
struct FolderDatasetOptions {
  int64_t img_height = 0,
          img_width = 0;  ///< 0 = keep the stored size (PIL bicubic / nearest otherwise)
  int64_t limit = 0;      ///< keep the first N samples (sorted by name); 0 = all
  bool skip_bad = false;  ///< skip unreadable or inconsistent samples instead of failing
};

/// Image/label pairs in DIR, sorted by file name.
class FolderDataset : public LabelledDataset {
 public:
  FolderDataset(std::string root, FolderDatasetOptions options = {});
  size_t size() const override { return ids_.size(); }
  /// Reads sample i; throws InputError naming the file on any problem.
  Sample get(size_t index) const override;
  const std::vector<std::string>& class_names() const override { return class_names_; }
  const std::string& root() const override { return root_; }
  const std::vector<std::string>& ids() const override { return ids_; }
  /// Samples skipped with skip_bad.
  size_t skipped() const override { return skipped_; }

 private:
  std::string root_;
  FolderDatasetOptions options_;
  std::vector<std::string> ids_, image_files_;
  std::vector<std::string> class_names_;
  size_t skipped_ = 0;
};

/// Stacks samples [i0, i1) into a batch: images [B, 3, H, W], labels [B, H, W].
std::pair<torch::Tensor, torch::Tensor> load_batch(const LabelledDataset& dataset,
                                                   const std::vector<size_t>& indices);

/// Writes one sample in the folder layout: img/<name>.png (RGB uint8 [H, W, 3]) and seg/<name>.png.
void write_folder_sample(const std::string& root, const std::string& name,
                         const torch::Tensor& image_u8, const torch::Tensor& mask_u8);

/// Writes samples i = 0..N-1 (names[i], images_u8[i] as RGB [N, H, W, 3], masks_u8[i]) as
/// write_folder_sample does, PNG encoding spread over ATen's threads; each sample's mask is still
/// written after its image (the mark of a finished sample), and the files are the same bytes as
/// one at a time.
void write_folder_samples(const std::string& root, const std::vector<std::string>& names,
                          const torch::Tensor& images_u8, const torch::Tensor& masks_u8);

/// Writes DIR/dataset.json atomically.
void write_dataset_json(const std::string& root, const nlohmann::json& info);

}  // namespace lagm::data

// The real images a GAN run is shown: rendered on the fly from a procedural domain, or drawn from
// a folder data set.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>

#include "lagm/data/folder_dataset.h"
#include "lagm/gan/gan_train_config.h"
#include "lagm/toy/domain.h"
#include "lagm/toy/rendered_image.h"

namespace lagm::gan {

class RealImages {
 public:
  /// Opens config.data_dir (an error naming it when it holds no image), or the domain config.domain
  /// in config.style when no folder is given. `config` must outlive this object.
  explicit RealImages(const GanTrainConfig& config);
  /// The `size` images shown after `image_index` images, [size, 3, R, R] in [-1, 1]: a pure
  /// function of the index, so a resumed run sees the same data as an uninterrupted one.
  torch::Tensor batch(int64_t image_index, int64_t size) const;

 private:
  const GanTrainConfig& config_;
  const toy::Domain* domain_ = nullptr;
  toy::Style style_ = toy::Style::kPhoto;
  std::unique_ptr<data::FolderDataset> folder_;
};

}  // namespace lagm::gan

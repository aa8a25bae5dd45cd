#include "lagm/gan/real_images.h"

#include <torch/torch.h>

#include <vector>

#include "lagm/core/error.h"
#include "lagm/toy/render_batch.h"

namespace lagm::gan {

RealImages::RealImages(const GanTrainConfig& config) : config_(config) {
  if (!config.data_dir.empty()) {
    const int64_t res = config.generator.img_resolution;
    folder_ = std::make_unique<data::FolderDataset>(config.data_dir,
                                                    data::FolderDatasetOptions{res, res});
    if (folder_->size() == 0) throw InputError(config.data_dir + ": no images");
  } else {
    domain_ = &toy::find_domain(config.domain);
    style_ = toy::parse_style(config.style);
  }
}

torch::Tensor RealImages::batch(int64_t image_index, int64_t size) const {
  if (domain_) {
    std::vector<uint64_t> seeds;
    for (int64_t i = 0; i < size; ++i)
      seeds.push_back(config_.data_seed + static_cast<uint64_t>(image_index + i));
    return toy::to_network_input(
        toy::render_batch(*domain_, style_, config_.generator.img_resolution, seeds).images_u8);
  }
  // A folder: `size` draws with replacement from a generator seeded by the index.
  auto gen = at::detail::createCPUGenerator(config_.data_seed + static_cast<uint64_t>(image_index));
  auto picks = torch::randint(static_cast<int64_t>(folder_->size()), {size}, gen, torch::kLong);
  std::vector<size_t> indices;
  for (int64_t i = 0; i < size; ++i)
    indices.push_back(static_cast<size_t>(picks[i].item<int64_t>()));
  return data::load_batch(*folder_, indices).first;
}

}  // namespace lagm::gan

#include <torch/torch.h>

#include "lagm/core/error.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/io/image.h"
#include "lagm/io/npy.h"

namespace lagm::data {

Sample PaperDataset::finish(torch::Tensor image, torch::Tensor label, const std::string& id,
                            const std::string& label_path, int64_t out_h, int64_t out_w,
                            io::ResizeFilter filter) const {
  auto l64 = label.to(torch::kInt64);
  const auto bad = (l64 != 255) & (l64 >= num_classes());
  if (bad.any().item<bool>())
    throw InputError(label_path + ": class index " +
                     std::to_string(l64.masked_select(bad).max().item<int64_t>()) +
                     " out of range for " + std::to_string(num_classes()) + " classes");
  if (out_h > 0 && (image.size(0) != out_h || image.size(1) != out_w))
    image = io::resize_pil(image, out_h, out_w, filter);
  if (out_h > 0 && (label.size(0) != out_h || label.size(1) != out_w))
    label = io::resize_nearest_pil(label, out_h, out_w);
  return {io::to_float_image(image), label.to(torch::kInt64), id};
}

torch::Tensor PaperDataset::read_label_array(const std::string& path) {
  try {
    return io::read_npy(path);
  } catch (const InputError& npy_error) {
    try {
      return io::read_mask_png(path);  // the reference falls back to reading an image
    } catch (const InputError&) {
      throw npy_error;  // neither: the .npy reader's message says more
    }
  }
}

}  // namespace lagm::data

#include "lagm/predict/overlay.h"

#include <torch/torch.h>

#include "lagm/io/text.h"

namespace lagm::predict {

torch::Tensor colorize(const torch::Tensor& mask, const std::vector<io::Rgb>& colors) {
  std::array<uint8_t, 768> palette = io::voc_palette();
  for (size_t k = 0; k < std::min<size_t>(colors.size(), 256); ++k)
    std::copy(colors[k].begin(), colors[k].end(), palette.begin() + 3 * k);
  const auto table = torch::from_blob(palette.data(), {256, 3}, torch::kUInt8);
  const auto index = mask.to(torch::kCPU, torch::kInt64).reshape(-1);
  return table.index_select(0, index).view({mask.size(0), mask.size(1), 3});
}

torch::Tensor overlay_with_legend(const torch::Tensor& image, const torch::Tensor& mask,
                                  const std::vector<std::string>& class_names,
                                  const std::vector<io::Rgb>& colors) {
  const auto blend = (image.to(torch::kInt16) + colorize(mask, colors).to(torch::kInt16))
                         .div(2, "floor")
                         .to(torch::kUInt8);
  const int64_t scale = std::max<int64_t>(1, image.size(1) / 600);
  return io::stack_vertically({blend, io::class_legend(class_names, colors, image.size(1), scale)});
}

}  // namespace lagm::predict

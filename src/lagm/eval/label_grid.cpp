#include "lagm/eval/label_grid.h"

#include <torch/torch.h>

#include "lagm/io/grid.h"
#include "lagm/io/image.h"

namespace lagm::eval {

torch::Tensor image_label_grid(const torch::Tensor& images, const torch::Tensor& labels) {
  auto imgs = io::to_uint8_image(images.cpu());
  auto labs = io::colorize_labels(labels.cpu());
  return io::tile_images(torch::cat({imgs, labs}), images.size(0));
}

torch::Tensor image_prediction_grid(const torch::Tensor& images, const torch::Tensor& probs,
                                    double threshold) {
  auto p = probs.detach().cpu();
  auto [conf, arg] = p.max(1);
  auto uncertain = arg.masked_fill(conf < threshold, 255);
  auto imgs = io::to_uint8_image(images.cpu());
  return io::tile_images(
      torch::cat({imgs, io::colorize_labels(arg), io::colorize_labels(uncertain)}), images.size(0));
}

}  // namespace lagm::eval

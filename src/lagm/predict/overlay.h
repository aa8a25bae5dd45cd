// The picture of a prediction a person looks at: the image blended half and half with its mask's
// class colours, and the class legend beneath.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "lagm/io/image.h"

namespace lagm::predict {

/// Class colours of a uint8 mask [H, W] -> uint8 [H, W, 3] (`colors` for the classes, VOC's for
/// other indices, so that 255 = ignore shows as VOC's off-white).
torch::Tensor colorize(const torch::Tensor& mask, const std::vector<io::Rgb>& colors);

/// uint8 image [H, W, 3] and mask [H, W] -> the blend, with the legend of `class_names` below
/// (its text scaled up for images wider than 600 px).
torch::Tensor overlay_with_legend(const torch::Tensor& image, const torch::Tensor& mask,
                                  const std::vector<std::string>& class_names,
                                  const std::vector<io::Rgb>& colors);

}  // namespace lagm::predict

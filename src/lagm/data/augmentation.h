// Random augmentation of a labelled batch: horizontal flips, scale/crop and colour jitter, with the
// label maps moved exactly as the images (nearest resize, the ignore label 255 where a crop pads).
// Used by the downstream trainer (the few-label recipe, mixed-in labels) and, as an option, on the
// labelled batch of phase I.
#pragma once

#include <torch/types.h>

#include <utility>

namespace lagm::data {

struct Augmentation {
  bool flip = false;          ///< random horizontal flips, per image
  bool scale_crop = false;    ///< one random scale in [0.75, 1.25], then crop/pad back to size
  bool color_jitter = false;  ///< random brightness, contrast and saturation (+-25 %) per image
  static Augmentation all() { return {true, true, true}; }
};

/// Augments images x [B, 3, H, W] in [-1, 1] and labels y [B, H, W] (int64) on the CPU, drawing
/// from the global CPU generator (only the draws the enabled transforms need, so that a run
/// without augmentation draws nothing). Padded pixels: image -1, label 255 (ignored by the losses).
std::pair<torch::Tensor, torch::Tensor> augment_batch(torch::Tensor x, torch::Tensor y,
                                                      const Augmentation& c);

}  // namespace lagm::data

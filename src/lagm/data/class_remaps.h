// Class lists and remapping tables of the paper's data sets.
// Each remap takes a label map of source indices and returns target indices (same shape, uint8).
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace lagm::data {

/// CLASSES[name] of the reference: celebA_19, celebA_8, dg_car_20, dg_cat, dg_face, dg_face_8,
/// PascalPart_horse, PascalPart_aeroplane, CGPart_car, CGPart_car_simplified_v0,
/// CGPart_car_simplified_v1. Throws InputError for other names.
const std::vector<std::string>& class_list(const std::string& name);

/// CelebAMask-HQ 19 -> 8 (glasses stay skin; hat, earring, necklace, neck, cloth become
/// background).
torch::Tensor remap_celeba_19_to_8(const torch::Tensor& labels);
/// DatasetGAN Face-34 -> 8 (the celebA_8 order).
torch::Tensor remap_face_34_to_8(const torch::Tensor& labels);
/// CGPart car 32 -> simplified v0 (15 classes) or v1 (10 classes).
torch::Tensor remap_cgpart_car(const torch::Tensor& labels, int version);

}  // namespace lagm::data

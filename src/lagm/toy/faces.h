// The `faces` domain: cartoon-proportioned heads with 8 part classes, drawn analytically and
// supersampled, so every picture comes with its exact mask at any resolution.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagm/toy/rendered_image.h"

namespace lagm::toy {

/// background, skin, hair, eyes, brows, nose, mouth, ears.
const std::vector<std::string>& face_class_names();

/// Renders face `seed` at resolution x resolution. The scene (pose, shapes) depends only on the
/// seed, so the photo and flat renderings of one seed show the same face; colours, lighting, blur
/// and noise depend on the style. Each output pixel averages supersample^2 sub-pixels; its label is
/// the majority class among them (ties go to the higher class id, i.e. to the smaller part).
RenderedImage render_face(uint64_t seed, Style style, int64_t resolution, int supersample = 4);

}  // namespace lagm::toy

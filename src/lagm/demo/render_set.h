// The demo's rendered data sets: `count` images of the built-in faces domain from consecutive
// seeds, in the folder layout (img/, seg/, dataset.json recording domain, style and seeds).
#pragma once

#include <cstdint>
#include <string>

#include "lagm/core/progress.h"
#include "lagm/toy/rendered_image.h"

namespace lagm::demo {

void render_set(const std::string& dir, toy::Style style, uint64_t first_seed, int64_t count,
                int64_t resolution, const ProgressFn& progress);

}  // namespace lagm::demo

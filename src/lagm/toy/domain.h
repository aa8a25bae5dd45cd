// The registry of procedural part domains (`--domain NAME`): each renders (seed, style, resolution)
// into an image and its exact mask.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lagm/toy/rendered_image.h"

namespace lagm::toy {

struct Domain {
  std::string name;
  std::vector<std::string> class_names;
  std::function<RenderedImage(uint64_t seed, Style style, int64_t resolution)> render;
};

/// Throws UsageError naming the known domains when `name` is not one of them.
const Domain& find_domain(const std::string& name);
std::vector<std::string> domain_names();

}  // namespace lagm::toy

// What a procedural renderer returns: an 8-bit RGB picture and its exact part mask.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lagm::toy {

/// Rendering style of a domain: `photo` is the "real" image distribution; `flat` is a
/// cartoon rendering of the same scene (flat colours, outlines, other palette) for the
/// out-of-domain labelled setting.
enum class Style { kPhoto, kFlat };
Style parse_style(const std::string& text);  ///< throws UsageError on anything but photo/flat
std::string to_string(Style style);

struct RenderedImage {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> rgb;     ///< [height, width, 3]
  std::vector<uint8_t> labels;  ///< [height, width], class index
};

}  // namespace lagm::toy

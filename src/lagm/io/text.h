// Words in pictures, so that a grid reads without the README: text drawn with a 6x10 bitmap font
// (X.Org's public-domain misc-fixed), class legends (palette swatch + class name) and column
// titles. Images are uint8 [H, W, 3] on the CPU.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "lagm/io/image.h"

namespace lagm::io {

/// One character cell of the font, in pixels at scale 1.
inline constexpr int64_t kGlyphWidth = 6, kGlyphHeight = 10;

/// Draws `text` with its top-left corner at (x, y), each font pixel a `scale` x `scale` square;
/// characters outside printable ASCII are drawn as '?', and whatever falls outside the image is
/// clipped.
void draw_text(torch::Tensor& image, int64_t x, int64_t y, const std::string& text, Rgb color,
               int64_t scale = 1);

/// `text` broken into lines of at most `max_chars` characters, at spaces, underscores or hyphens
/// where it can ("gradient_matching" -> "gradient_", "matching"), a long word cut where it must.
std::vector<std::string> wrap_text(const std::string& text, int64_t max_chars);

/// A white band of `width` pixels holding one title per column of `column_width` pixels, each
/// wrapped to its column and centred; as tall as the longest title needs.
torch::Tensor column_titles(const std::vector<std::string>& titles, int64_t column_width,
                            int64_t width, int64_t scale = 1);

/// A white panel with one row per class: a swatch of its colour and its index and name, laid out
/// in as many columns as `max_width` pixels allow.
torch::Tensor class_legend(const std::vector<std::string>& names, const std::vector<Rgb>& colors,
                           int64_t max_width, int64_t scale = 1);

/// The parts one under the other, each left-aligned on a white background as wide as the widest.
torch::Tensor stack_vertically(const std::vector<torch::Tensor>& parts);

/// A grid with its column titles above and the class legend below: what the prediction and
/// annotator pictures carry.
torch::Tensor titled_grid(const torch::Tensor& grid, const std::vector<std::string>& titles,
                          int64_t column_width, const std::vector<std::string>& class_names,
                          const std::vector<Rgb>& colors);

}  // namespace lagm::io

#include "lagm/io/text.h"

#include <torch/torch.h>

#include <algorithm>

#include "lagm/core/error.h"
#include "lagm/io/image.h"

namespace lagm::io {
namespace {

// Rows of the printable ASCII characters 32..126; bit 7 of a row is the leftmost pixel.
const uint8_t kFont[95][kGlyphHeight] = {
#include "lagm/io/font_6x10.inc"
};

constexpr Rgb kBlack{0, 0, 0};
constexpr Rgb kWhite{255, 255, 255};

void require_rgb(const torch::Tensor& image, const char* what) {
  if (image.dim() != 3 || image.size(2) != 3 || image.scalar_type() != torch::kUInt8 ||
      !image.device().is_cpu())
    throw Error(std::string(what) + ": expects a uint8 [H, W, 3] CPU image, got " +
                format_shape(image.sizes().vec()));
}

torch::Tensor white(int64_t height, int64_t width) {
  return torch::full({height, width, 3}, 255, torch::kUInt8);
}

}  // namespace

void draw_text(torch::Tensor& image, int64_t x, int64_t y, const std::string& text, Rgb color,
               int64_t scale) {
  require_rgb(image, "draw_text");
  image = image.contiguous();
  const int64_t height = image.size(0), width = image.size(1);
  uint8_t* pixels = image.data_ptr<uint8_t>();
  for (size_t i = 0; i < text.size(); ++i) {
    const int code = static_cast<unsigned char>(text[i]);
    const uint8_t* rows = kFont[(code >= 32 && code <= 126 ? code : '?') - 32];
    const int64_t left = x + static_cast<int64_t>(i) * kGlyphWidth * scale;
    for (int64_t r = 0; r < kGlyphHeight * scale; ++r) {
      const int64_t py = y + r;
      if (py < 0 || py >= height) continue;
      for (int64_t c = 0; c < kGlyphWidth * scale; ++c) {
        const int64_t px = left + c;
        if (px < 0 || px >= width || !(rows[r / scale] & (0x80 >> (c / scale)))) continue;
        std::copy(color.begin(), color.end(), pixels + (py * width + px) * 3);
      }
    }
  }
}

std::vector<std::string> wrap_text(const std::string& text, int64_t max_chars) {
  const size_t limit = static_cast<size_t>(std::max<int64_t>(1, max_chars));
  std::vector<std::string> lines;
  std::string rest = text;
  while (rest.size() > limit) {
    // The last break that keeps the line within the limit: before a space (which is dropped) or
    // after an underscore or hyphen (which stays); none = cut the word at the limit.
    size_t cut = limit, skip = 0;
    for (size_t i = 1; i <= limit && i < rest.size(); ++i) {
      if (rest[i] == ' ') cut = i, skip = 1;
      if ((rest[i] == '_' || rest[i] == '-') && i + 1 <= limit) cut = i + 1, skip = 0;
    }
    lines.push_back(rest.substr(0, cut));
    rest = rest.substr(cut + skip);
  }
  if (!rest.empty() || lines.empty()) lines.push_back(rest);
  return lines;
}

torch::Tensor column_titles(const std::vector<std::string>& titles, int64_t column_width,
                            int64_t width, int64_t scale) {
  const int64_t glyph_w = kGlyphWidth * scale, line_h = kGlyphHeight * scale;
  const int64_t max_chars = std::max<int64_t>(1, (column_width - 2) / glyph_w);
  std::vector<std::vector<std::string>> wrapped;
  size_t most_lines = 1;
  for (const auto& t : titles) {
    wrapped.push_back(wrap_text(t, max_chars));
    most_lines = std::max(most_lines, wrapped.back().size());
  }
  auto band = white(static_cast<int64_t>(most_lines) * line_h + 4, width);
  for (size_t c = 0; c < wrapped.size(); ++c)
    for (size_t l = 0; l < wrapped[c].size(); ++l) {
      const auto& line = wrapped[c][l];
      const int64_t text_w = static_cast<int64_t>(line.size()) * glyph_w;
      const int64_t x = static_cast<int64_t>(c) * column_width + (column_width - text_w) / 2;
      draw_text(band, x, 2 + static_cast<int64_t>(l) * line_h, line, kBlack, scale);
    }
  return band;
}

torch::Tensor class_legend(const std::vector<std::string>& names, const std::vector<Rgb>& colors,
                           int64_t max_width, int64_t scale) {
  if (colors.size() < names.size()) throw Error("class_legend: fewer colours than classes");
  const int64_t line_h = (kGlyphHeight + 2) * scale, swatch = kGlyphHeight * scale;
  size_t longest = 0;
  for (size_t k = 0; k < names.size(); ++k)
    longest = std::max(longest, (std::to_string(k) + " " + names[k]).size());
  const int64_t entry_w =
      swatch + 4 * scale + static_cast<int64_t>(longest) * kGlyphWidth * scale + 6 * scale;
  const int64_t cols = std::max<int64_t>(
      1, std::min<int64_t>(max_width / entry_w, static_cast<int64_t>(names.size())));
  const int64_t rows = (static_cast<int64_t>(names.size()) + cols - 1) / cols;
  auto panel = white(rows * line_h + 4, std::max(max_width, cols * entry_w));
  for (size_t k = 0; k < names.size(); ++k) {
    const int64_t col = static_cast<int64_t>(k) / rows, row = static_cast<int64_t>(k) % rows;
    const int64_t x = 2 + col * entry_w, y = 2 + row * line_h;
    auto cell = panel.narrow(0, y, swatch).narrow(1, x, swatch);
    cell.fill_(0);  // a black frame around the colour, so that a white or black class shows
    cell.narrow(0, 1, swatch - 2)
        .narrow(1, 1, swatch - 2)
        .copy_(torch::tensor({colors[k][0], colors[k][1], colors[k][2]}, torch::kUInt8));
    draw_text(panel, x + swatch + 4 * scale, y, std::to_string(k) + " " + names[k], kBlack, scale);
  }
  return panel;
}

torch::Tensor stack_vertically(const std::vector<torch::Tensor>& parts) {
  int64_t width = 0, height = 0;
  for (const auto& p : parts) {
    require_rgb(p, "stack_vertically");
    width = std::max(width, p.size(1));
    height += p.size(0);
  }
  auto out = white(height, width);
  int64_t y = 0;
  for (const auto& p : parts) {
    out.narrow(0, y, p.size(0)).narrow(1, 0, p.size(1)).copy_(p);
    y += p.size(0);
  }
  return out;
}

torch::Tensor titled_grid(const torch::Tensor& grid, const std::vector<std::string>& titles,
                          int64_t column_width, const std::vector<std::string>& class_names,
                          const std::vector<Rgb>& colors) {
  require_rgb(grid, "titled_grid");
  // Titles of small cells (64 px) stay legible at scale 1; cells of 256 px and more get scale 2.
  const int64_t scale = column_width >= 256 ? 2 : 1;
  return stack_vertically(
      {column_titles(titles, column_width, grid.size(1), scale), grid,
       class_legend(class_names, colors, std::max<int64_t>(grid.size(1), 240), scale)});
}

}  // namespace lagm::io

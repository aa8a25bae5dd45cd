// 8-bit image files: PNG and JPEG in, PNG out. Images in memory are uint8 tensors [H, W, 3] (RGB),
// masks uint8 [H, W] of class indices.
#pragma once

#include <torch/types.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace lagm::io {

/// Reads a PNG or JPEG (by content, not extension) as RGB uint8 [H, W, 3]. Gray is replicated,
/// alpha is dropped without compositing (PIL's `convert('RGB')`), 16-bit PNGs are reduced to 8
/// bits. Throws InputError("<path>: ...") for missing, truncated or unsupported files.
torch::Tensor read_image(const std::string& path);

/// Writes uint8 [H, W, 3] or [H, W] (gray) as PNG, atomically.
void write_png(const std::string& path, const torch::Tensor& image);

/// The PASCAL VOC colour map: 256 RGB triples.
const std::array<uint8_t, 768>& voc_palette();

/// An RGB colour.
using Rgb = std::array<uint8_t, 3>;

/// The palette colours of classes 0..count-1 (the PASCAL VOC colour map lagm writes masks with).
std::vector<Rgb> voc_colors(int64_t count);

/// Writes a uint8 [H, W] class-index mask as an 8-bit palette PNG with the VOC palette, atomically.
void write_mask_png(const std::string& path, const torch::Tensor& mask);

/// The same with the first entries of the palette set to `class_colors` (the rest VOC's) and PNG
/// text chunks (key, value): a mask that names its classes to whoever opens it.
void write_mask_png(const std::string& path, const torch::Tensor& mask,
                    const std::vector<Rgb>& class_colors,
                    const std::vector<std::pair<std::string, std::string>>& text);

/// The text chunks of a PNG file (key, value), in file order.
std::vector<std::pair<std::string, std::string>> read_png_text(const std::string& path);

/// Reads a class-index mask: a palette PNG (the indices, not the colours) or an 8-bit gray PNG
/// (the values). Returns uint8 [H, W]. RGB PNGs are refused, since their colours are not indices.
torch::Tensor read_mask_png(const std::string& path);

/// Maps [N, 3, H, W] or [3, H, W] float images in [-1, 1] to uint8 [.., H, W, 3]:
/// rint(127.5 x + 127.5) clipped to [0, 255] (the reference's grid conversion).
torch::Tensor to_uint8_image(const torch::Tensor& image);

/// The reference's quantisation of generated images when it writes a synthesized data set:
/// clamp(x * 127.5 + 128, 0, 255) truncated (+128 and truncation, unlike the grid's rounding);
/// float [N, 3, H, W] -> uint8 [N, H, W, 3] on the CPU.
torch::Tensor quantize_generated(const torch::Tensor& images);

/// What a reader of synthesized PNGs gets: quantize_generated read back as x / 127.5 - 1, as float
/// [N, 3, H, W] on the images' device. Networks that label generated images (the oracle, a
/// pseudo-labeller) see this, as they would reading the synthesized data set.
torch::Tensor as_synthesized(const torch::Tensor& images);

/// Maps uint8 [H, W, 3] to float [3, H, W] in [-1, 1] as `x / 127.5 - 1`.
torch::Tensor to_float_image(const torch::Tensor& image);

}  // namespace lagm::io

#include "lagm/io/image.h"

#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"

namespace lagm::io {
namespace {

// ---- PNG reading (libpng's classic API, so that no gamma or compositing is applied) -----------

// Everything with a destructor that the decoder touches lives here, constructed before setjmp,
// so that a longjmp out of libpng skips no destructor.
struct PngReadState {
  const std::string* data;
  size_t offset = 0;
  std::string error;
  torch::Tensor pixels;
  std::vector<png_bytep> rows;
};

void png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* state = static_cast<PngReadState*>(png_get_io_ptr(png));
  if (state->offset + length > state->data->size()) png_error(png, "file is truncated");
  std::memcpy(out, state->data->data() + state->offset, length);
  state->offset += length;
}

void png_error_handler(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngReadState*>(png_get_error_ptr(png));
  if (state) state->error = message;
  png_longjmp(png, 1);
}

void png_warning_handler(png_structp, png_const_charp) {}

// Decodes a PNG; `as_mask` keeps palette indices / gray values as one channel.
torch::Tensor decode_png(const std::string& bytes, const std::string& path, bool as_mask) {
  PngReadState state;
  state.data = &bytes;
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, png_error_handler, png_warning_handler);
  if (!png) throw lagm::Error(path + ": out of memory creating PNG reader");
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw lagm::InputError(path + ": invalid PNG: " + state.error);
  }
  png_set_read_fn(png, &state, png_read_from_memory);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  if (static_cast<uint64_t>(width) * height > (1ull << 28)) {
    state.error =
        "image of " + std::to_string(width) + "x" + std::to_string(height) + " is too large";
    png_error(png, state.error.c_str());
  }
  int channels = 3;
  if (as_mask) {
    if (color_type == PNG_COLOR_TYPE_PALETTE ||
        (color_type == PNG_COLOR_TYPE_GRAY && bit_depth <= 8)) {
      // Unpacked, the values kept (0/1 for 1-bit gray masks), unscaled.
      if (bit_depth < 8) png_set_packing(png);
    } else {
      // A 16-bit mask stripped to 8 bits would read class 257 as 1 and classes 0-255 as 0.
      const std::string got = color_type == PNG_COLOR_TYPE_GRAY         ? "a 16-bit gray PNG"
                              : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? "a gray PNG with alpha"
                                                                        : "an RGB PNG";
      png_destroy_read_struct(&png, &info, nullptr);
      throw lagm::InputError(
          path + ": a mask must be a palette or 8-bit gray PNG (class indices), got " + got);
    }
    channels = 1;
  } else {
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (bit_depth == 16) png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA)
      png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);  // PIL's convert('RGB') drops alpha; no compositing
    channels = 3;
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != static_cast<size_t>(width) * channels) {
    state.error = "unsupported pixel layout";
    png_error(png, state.error.c_str());
  }
  state.pixels = torch::empty({static_cast<int64_t>(height), static_cast<int64_t>(width), channels},
                              torch::kUInt8);
  state.rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y)
    state.rows[y] = state.pixels.data_ptr<uint8_t>() + static_cast<size_t>(y) * width * channels;
  png_read_image(png, state.rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return as_mask ? state.pixels.squeeze(2) : state.pixels;
}

// ---- JPEG reading ----------------------------------------------------------------------------

struct JpegErrorManager {
  jpeg_error_mgr base;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

torch::Tensor decode_jpeg(const std::string& bytes, const std::string& path) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = jpeg_error_exit;
  err.base.output_message = [](j_common_ptr) {};
  torch::Tensor out;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    throw lagm::InputError(path + ": invalid JPEG: " + err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;  // gray and YCbCr both decode to RGB
  jpeg_start_decompress(&cinfo);
  if (static_cast<uint64_t>(cinfo.output_width) * cinfo.output_height > (1ull << 28)) {
    jpeg_destroy_decompress(&cinfo);
    throw lagm::InputError(path + ": image is too large");
  }
  out = torch::empty({cinfo.output_height, cinfo.output_width, 3}, torch::kUInt8);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out.data_ptr<uint8_t>() +
                   static_cast<size_t>(cinfo.output_scanline) * cinfo.output_width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return out;
}

// ---- PNG writing -----------------------------------------------------------------------------

void png_write_to_string(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

void png_write_error(png_structp png, png_const_charp message) { png_longjmp(png, 1); }

// libpng's view of (key, value) pairs; the strings must outlive the encoding.
[[gnu::noinline]] std::vector<png_text> text_chunks(
    const std::vector<std::pair<std::string, std::string>>& text) {
  std::vector<png_text> chunks(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    chunks[i].compression = PNG_TEXT_COMPRESSION_NONE;
    chunks[i].key = const_cast<char*>(text[i].first.c_str());
    chunks[i].text = const_cast<char*>(text[i].second.c_str());
    chunks[i].text_length = text[i].second.size();
  }
  return chunks;
}

std::string encode_png(const torch::Tensor& pixels, int color_type, const uint8_t* palette,
                       const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& text = {}) {
  auto image = pixels.to(torch::kCPU).contiguous();
  // volatile: read after setjmp, and libpng may longjmp.
  const volatile int64_t height = image.size(0), width = image.size(1);
  const volatile int64_t channels = image.dim() == 3 ? image.size(2) : 1;
  std::string out;
  // Built before setjmp (out of line, so that no variable of its loop lives across the jump).
  const std::vector<png_text> chunks = text_chunks(text);
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_write_error, png_warning_handler);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw lagm::Error(path + ": PNG encoding failed");
  }
  png_set_write_fn(png, &out, png_write_to_string, nullptr);
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (palette) {
    png_color colors[256];
    for (int i = 0; i < 256; ++i)
      colors[i] = {palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]};
    png_set_PLTE(png, info, colors, 256);
  }
  if (!chunks.empty())
    png_set_text(png, info, const_cast<png_text*>(chunks.data()), static_cast<int>(chunks.size()));
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  for (int64_t y = 0; y < height; ++y)
    png_write_row(png, image.data_ptr<uint8_t>() + y * width * channels);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

bool is_png(const std::string& b) {
  return b.size() >= 8 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0;
}
bool is_jpeg(const std::string& b) {
  return b.size() >= 3 && static_cast<uint8_t>(b[0]) == 0xFF && static_cast<uint8_t>(b[1]) == 0xD8;
}

}  // namespace

torch::Tensor read_image(const std::string& path) {
  const std::string bytes = core::read_file(path);
  if (is_png(bytes)) return decode_png(bytes, path, /*as_mask=*/false);
  if (is_jpeg(bytes)) return decode_jpeg(bytes, path);
  throw InputError(path + ": not a PNG or JPEG file");
}

void write_png(const std::string& path, const torch::Tensor& image) {
  TORCH_CHECK(image.scalar_type() == torch::kUInt8, "write_png: expected uint8, got ",
              image.scalar_type());
  const bool rgb = image.dim() == 3 && image.size(2) == 3;
  if (!rgb && image.dim() != 2)
    throw Error(path + ": write_png expects [H, W, 3] or [H, W], got " +
                format_shape(image.sizes().vec()));
  core::write_file_atomic(
      path, encode_png(image, rgb ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, nullptr, path));
}

const std::array<uint8_t, 768>& voc_palette() {
  static const std::array<uint8_t, 768> palette = [] {
    std::array<uint8_t, 768> p{};
    for (int i = 0; i < 256; ++i) {
      int r = 0, g = 0, b = 0, c = i;
      for (int j = 0; j < 8; ++j) {
        r |= ((c >> 0) & 1) << (7 - j);
        g |= ((c >> 1) & 1) << (7 - j);
        b |= ((c >> 2) & 1) << (7 - j);
        c >>= 3;
      }
      p[3 * i] = static_cast<uint8_t>(r);
      p[3 * i + 1] = static_cast<uint8_t>(g);
      p[3 * i + 2] = static_cast<uint8_t>(b);
    }
    return p;
  }();
  return palette;
}

std::vector<Rgb> voc_colors(int64_t count) {
  const auto& p = voc_palette();
  std::vector<Rgb> colors;
  for (int64_t k = 0; k < std::min<int64_t>(count, 256); ++k)
    colors.push_back({p[3 * k], p[3 * k + 1], p[3 * k + 2]});
  return colors;
}

void write_mask_png(const std::string& path, const torch::Tensor& mask) {
  if (mask.dim() != 2)
    throw Error(path + ": a mask must be [H, W], got " + format_shape(mask.sizes().vec()));
  TORCH_CHECK(mask.scalar_type() == torch::kUInt8, "write_mask_png: expected uint8, got ",
              mask.scalar_type());
  core::write_file_atomic(path,
                          encode_png(mask, PNG_COLOR_TYPE_PALETTE, voc_palette().data(), path));
}

void write_mask_png(const std::string& path, const torch::Tensor& mask,
                    const std::vector<Rgb>& class_colors,
                    const std::vector<std::pair<std::string, std::string>>& text) {
  if (mask.dim() != 2)
    throw Error(path + ": a mask must be [H, W], got " + format_shape(mask.sizes().vec()));
  TORCH_CHECK(mask.scalar_type() == torch::kUInt8, "write_mask_png: expected uint8, got ",
              mask.scalar_type());
  std::array<uint8_t, 768> palette = voc_palette();
  for (size_t k = 0; k < std::min<size_t>(class_colors.size(), 256); ++k)
    std::copy(class_colors[k].begin(), class_colors[k].end(), palette.begin() + 3 * k);
  core::write_file_atomic(path,
                          encode_png(mask, PNG_COLOR_TYPE_PALETTE, palette.data(), path, text));
}

std::vector<std::pair<std::string, std::string>> read_png_text(const std::string& path) {
  // Text chunks are read by walking the chunk list: length, type, data, CRC.
  const std::string bytes = core::read_file(path);
  if (!is_png(bytes)) throw InputError(path + ": not a PNG file");
  std::vector<std::pair<std::string, std::string>> out;
  size_t at = 8;
  while (at + 12 <= bytes.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + at);
    const size_t length = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
    if (length > bytes.size() - at - 12) throw InputError(path + ": truncated PNG chunk");
    const std::string type = bytes.substr(at + 4, 4);
    if (type == "tEXt") {
      const std::string data = bytes.substr(at + 8, length);
      const size_t nul = data.find('\0');
      if (nul != std::string::npos) out.emplace_back(data.substr(0, nul), data.substr(nul + 1));
    }
    if (type == "IEND") break;
    at += 12 + length;
  }
  return out;
}

torch::Tensor read_mask_png(const std::string& path) {
  const std::string bytes = core::read_file(path);
  if (!is_png(bytes)) throw InputError(path + ": a mask must be a PNG file");
  return decode_png(bytes, path, /*as_mask=*/true);
}

torch::Tensor to_uint8_image(const torch::Tensor& image) {
  auto x =
      (image.detach().to(torch::kFloat32) * 127.5 + 127.5).round().clamp(0, 255).to(torch::kUInt8);
  return image.dim() == 4 ? x.permute({0, 2, 3, 1}).contiguous()
                          : x.permute({1, 2, 0}).contiguous();
}

namespace {

// The 8-bit levels of generated images as float, on their device: the uint8 cast truncates, which
// on the clamped (non-negative) values is floor.
torch::Tensor synthesized_levels(const torch::Tensor& images) {
  return (images.detach().to(torch::kFloat32) * 127.5 + 128).clamp(0, 255).floor();
}

}  // namespace

torch::Tensor quantize_generated(const torch::Tensor& images) {
  return synthesized_levels(images.cpu()).to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
}

torch::Tensor as_synthesized(const torch::Tensor& images) {
  return synthesized_levels(images).div(127.5).sub(1.0);
}

torch::Tensor to_float_image(const torch::Tensor& image) {
  return image.permute({2, 0, 1}).to(torch::kFloat32) / 127.5 - 1.0;
}

}  // namespace lagm::io

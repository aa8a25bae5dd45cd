// Images and masks: PNG (gray, RGB, palette, alpha, 16-bit, interlaced) and JPEG decoding, and the
// mask reader's class-index rules (io/image).
#include "fuzz_support.h"
#include "lagm/io/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = lagm::fuzz::write_scratch(data, size, ".img");
  lagm::fuzz::expect_parse_or_input_error([&] { lagm::io::read_image(path); });
  lagm::fuzz::expect_parse_or_input_error([&] { lagm::io::read_mask_png(path); });
  return 0;
}

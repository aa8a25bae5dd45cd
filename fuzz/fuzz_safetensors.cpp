// safetensors files: header JSON, dtypes, shapes and offsets (core/safetensors).
#include "fuzz_support.h"
#include "lagm/core/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lagm::fuzz::expect_parse_or_input_error([&] {
    lagm::core::parse_safetensors(std::string(reinterpret_cast<const char*>(data), size),
                                  "fuzz.safetensors");
  });
  return 0;
}

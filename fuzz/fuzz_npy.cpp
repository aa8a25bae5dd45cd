// NumPy .npy arrays: magic, version, header dictionary, dtype and shape (io/npy).
#include "fuzz_support.h"
#include "lagm/io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lagm::fuzz::expect_parse_or_input_error([&] {
    lagm::io::parse_npy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  });
  return 0;
}

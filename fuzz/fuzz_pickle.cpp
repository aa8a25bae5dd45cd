// Pickles and legacy torch files: the restricted machine, its allow-list, torch storages, numpy
// arrays, and the generator importers on whatever it builds (io/pickle, models/pickled_*).
#include "fuzz_support.h"
#include "lagm/io/pickle/read.h"
#include "lagm/models/pickled_generator.h"
#include "lagm/models/pickled_values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lagm::fuzz::expect_parse_or_input_error([&] {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    const auto value = lagm::io::pickle::parse_pickle(bytes, "fuzz.pkl");
    lagm::models::count_tensors(*value);
    lagm::models::pickled_json(*value, "fuzz.pkl");
  });
  lagm::fuzz::expect_parse_or_input_error(
      [&] { lagm::models::read_pickled_generator(lagm::fuzz::write_scratch(data, size, ".pkl")); });
  return 0;
}

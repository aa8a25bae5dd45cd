// PASCAL-Part .mat annotations (MATLAB v5/v7, data/mat_v5_reader and data/pascal_part_annotation).
#include "fuzz_support.h"
#include "lagm/data/pascal_part_annotation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = lagm::fuzz::write_scratch(data, size, ".mat");
  lagm::fuzz::expect_parse_or_input_error([&] { lagm::data::read_pascal_part_annotation(path); });
  return 0;
}

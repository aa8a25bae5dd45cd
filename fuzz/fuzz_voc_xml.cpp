// PASCAL VOC annotation XML (data/voc_annotation).
#include "fuzz_support.h"
#include "lagm/data/voc_annotation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = lagm::fuzz::write_scratch(data, size, ".xml");
  lagm::fuzz::expect_parse_or_input_error([&] { lagm::data::read_voc_annotation(path); });
  return 0;
}

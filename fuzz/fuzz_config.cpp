// train-annotator configs in both dialects (the project's and the reference's), and data-set specs
// (matching/annotator_train_config, matching/reference_config). Only parsing: nothing is opened.
#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "lagm/data/dataset_spec.h"
#include "lagm/matching/annotator_train_config.h"
#include "lagm/matching/reference_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;  // the CLI refuses text that is not JSON before these parsers
  lagm::fuzz::expect_parse_or_input_error([&] {
    if (lagm::matching::is_reference_config(json))
      lagm::matching::annotator_config_from_reference(json, "fuzz.json");
    else
      lagm::matching::annotator_train_config_from_json(json, "fuzz.json");
  });
  lagm::fuzz::expect_parse_or_input_error(
      [&] { lagm::data::dataset_spec_from_json(json, "fuzz.json"); });
  return 0;
}

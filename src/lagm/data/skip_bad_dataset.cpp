#include "lagm/data/skip_bad_dataset.h"

#include <torch/torch.h>

#include <cstdio>

#include "lagm/core/error.h"

namespace lagm::data {

SkipBadDataset::SkipBadDataset(std::unique_ptr<LabelledDataset> inner,
                               void (*warn)(const std::string&))
    : inner_(std::move(inner)) {
  for (size_t i = 0; i < inner_->size(); ++i) {
    try {
      inner_->get(i);
      good_.push_back(i);
      ids_.push_back(inner_->ids().at(i));
    } catch (const InputError& e) {
      const std::string line = std::string("warning: skipped: ") + e.what();
      if (warn)
        warn(line);
      else
        std::fprintf(stderr, "%s\n", line.c_str());
    }
  }
  if (good_.empty()) throw InputError(inner_->root() + ": every sample is bad (see the warnings)");
}

}  // namespace lagm::data

// --skip-bad for any data set: reads every sample once up front, keeps those that load and tells
// about the others (one warning line each, naming the file, and a count). The paper's loaders find
// bad files only when a sample is read, so this is the one place that turns their errors into
// skips.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lagm/data/labelled_dataset.h"

namespace lagm::data {

class SkipBadDataset : public LabelledDataset {
 public:
  /// `warn` receives one line per bad sample (default: stderr).
  explicit SkipBadDataset(std::unique_ptr<LabelledDataset> inner,
                          void (*warn)(const std::string&) = nullptr);
  size_t size() const override { return good_.size(); }
  Sample get(size_t index) const override { return inner_->get(good_.at(index)); }
  const std::vector<std::string>& class_names() const override { return inner_->class_names(); }
  const std::string& root() const override { return inner_->root(); }
  const std::vector<std::string>& ids() const override { return ids_; }
  size_t skipped() const override { return inner_->skipped() + (inner_->size() - good_.size()); }

 private:
  std::unique_ptr<LabelledDataset> inner_;
  std::vector<size_t> good_;
  std::vector<std::string> ids_;
};

}  // namespace lagm::data

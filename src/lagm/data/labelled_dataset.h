// The interface every labelled data set implements: the project's folder layout and the paper's
// data sets (CelebAMask-HQ, Pascal-Part, DatasetGAN, CGPart) alike, so that training, evaluation
// and export take any of them.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace lagm::data {

/// One labelled example.
struct Sample {
  torch::Tensor image;  ///< float [3, H, W] in [-1, 1] (x / 127.5 - 1)
  torch::Tensor label;  ///< int64 [H, W]
  std::string id;
};

class LabelledDataset {
 public:
  virtual ~LabelledDataset() = default;
  virtual size_t size() const = 0;
  /// Reads sample i; throws InputError naming the file on any problem.
  virtual Sample get(size_t index) const = 0;
  virtual const std::vector<std::string>& class_names() const = 0;
  int64_t num_classes() const { return static_cast<int64_t>(class_names().size()); }
  /// Where the data come from (a folder), for messages.
  virtual const std::string& root() const = 0;
  /// Sample ids in order.
  virtual const std::vector<std::string>& ids() const = 0;
  /// Samples left out by skip_bad.
  virtual size_t skipped() const { return 0; }
};

}  // namespace lagm::data

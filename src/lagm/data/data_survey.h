// One pass over every sample of a data set before a run starts: each is read (an unreadable file
// fails now, naming it, not an epoch into training when the validation set is first read), what the
// network will see is fingerprinted (a resumed run refuses data that changed), and the labels are
// counted (class balance; a set with no labelled pixel is refused instead of a NaN loss later).
#pragma once

#include <string>
#include <vector>

#include "lagm/data/labelled_dataset.h"

namespace lagm::data {

struct DataSurvey {
  std::string fingerprint;  ///< of the ids, images and labels, in order (core::Fingerprint)
  std::vector<double> class_frequencies;  ///< labelled pixels per class / all labelled pixels
  int64_t images = 0;
  int64_t unlabelled_images = 0;  ///< images whose every pixel is 255 (ignored)
};

/// Surveys `data`; `what` names it in messages ("train-seg --val"). Throws InputError naming the
/// sample that cannot be read, or the set when none of its pixels is labelled.
DataSurvey survey_dataset(const LabelledDataset& data, const std::string& what);

}  // namespace lagm::data

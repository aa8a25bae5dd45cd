// Naming a labelled data set on the command line or in a config: a folder path, or a
// JSON object in the project's form {"path": DIR, "img_size": N, "limit": N} or in the reference's
// `training_set_kwargs` form {"class_name": "datasets.CelebAMaskDataset", "rootdir": ..., ...} for
// CelebAMaskDataset, PascalPart, DatasetGANDataset, CGPart, CGPartReal, ImageLabelDataset; and
// {"class_name": "SortedPairs", "path": DIR, "img_size": N, "classes": ...} for test_seg.py's
// folders.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "lagm/data/labelled_dataset.h"

namespace lagm::data {

/// A labelled data set: the project's folder layout (path, img_size, limit), or any data set
/// data::open_dataset knows (a paper loader, the reference's training_set_kwargs) in `source`.
struct DatasetSpec {
  std::string path;
  int64_t img_size = 0;   ///< square resize (0 = as stored)
  int64_t limit = 0;      ///< first N samples (0 = all)
  nlohmann::json source;  ///< {"class_name": ..., ...}; null = the folder fields above

  bool empty() const { return path.empty() && source.is_null(); }
  /// For messages: the folder, or the JSON object.
  std::string describe() const { return source.is_null() ? path : source.dump(); }
};

/// A folder path, {"path", "img_size", "limit"}, or an object with a "class_name" (kept as source).
DatasetSpec dataset_spec_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const DatasetSpec& d);
/// Opens the data set (open_dataset); errors name `where` and the data.
std::unique_ptr<LabelledDataset> open_labelled_dataset(const DatasetSpec& d,
                                                       const std::string& where);

/// Opens the data set `spec` describes. `where` prefixes errors (a file name or option);
/// `skip_bad` reads every sample once and leaves out (with a warning naming the file, and a count
/// in skipped()) those that fail: missing or unreadable files, size mismatches, class ids out of
/// range. A folder of images and *npy* label files (test_seg.py's layout, no img/ subfolder) opens
/// as SortedPairsDataset; its class count comes from "classes" or else `num_classes_hint` (eval
/// passes the model's).
std::unique_ptr<LabelledDataset> open_dataset(const nlohmann::json& spec, const std::string& where,
                                              bool skip_bad = false, int64_t num_classes_hint = 0);

/// A --data argument: an inline JSON object, a .json file holding one, or a folder path.
nlohmann::json parse_dataset_argument(const std::string& text);

}  // namespace lagm::data

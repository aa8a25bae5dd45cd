// Naming a labelled data set on the command line or in a config: a folder path, or a
// JSON object in the project's form {"path": DIR, "img_size": N, "limit": N} or in the reference's
// `training_set_kwargs` form {"class_name": "datasets.CelebAMaskDataset", "rootdir": ..., ...} for
// CelebAMaskDataset, PascalPart, DatasetGANDataset, CGPart, CGPartReal, ImageLabelDataset; and
// {"class_name": "SortedPairs", "path": DIR, "img_size": N, "classes": ...} for test_seg.py's folders.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "lagm/data/labelled_dataset.h"

namespace lagm::data {

/// Opens the data set `spec` describes. `where` prefixes errors (a file name or option);
/// `skip_bad` reads every sample once and leaves out (with a warning naming the file, and a count in
/// skipped()) those that fail: missing or unreadable files, size mismatches, class ids out of range.
/// A folder of images and *npy* label files (test_seg.py's layout, no img/ subfolder) opens as
/// SortedPairsDataset; its class count comes from "classes" or else `num_classes_hint` (eval
/// passes the model's).
std::unique_ptr<LabelledDataset> open_dataset(const nlohmann::json& spec, const std::string& where, bool skip_bad = false,
                                              int64_t num_classes_hint = 0);

/// A --data argument: an inline JSON object, a .json file holding one, or a folder path.
nlohmann::json parse_dataset_argument(const std::string& text);

}  // namespace lagm::data

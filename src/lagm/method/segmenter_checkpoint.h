// Loading a trained segmentation network from either kind of file that holds one: a train-seg
// checkpoint (kind "segmenter") or a train-annotator snapshot (its S).
#pragma once

#include <string>
#include <vector>

#include "lagm/models/segmenter.h"

namespace lagm::method {

/// A segmenter in eval mode with the class names it was trained on.
struct LoadedSegmenter {
  std::unique_ptr<models::Segmenter> segmenter;
  std::vector<std::string> class_names;
};

/// Throws InputError("<path>: ...") when the file holds no segmenter.
LoadedSegmenter load_segmenter(const std::string& path);

/// A trained segmenter used as a fixed labeller (`role` names it in errors: "pseudo_labeller"):
/// on `device`, frozen, its classes checked against `class_names`. InputError naming the file.
std::unique_ptr<models::Segmenter> load_frozen_labeller(const std::string& path,
                                                        const std::string& role,
                                                        const std::vector<std::string>& class_names,
                                                        torch::Device device);

}  // namespace lagm::method

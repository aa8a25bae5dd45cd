// Loading a trained segmentation network from either kind of file that holds one: a train-seg
// checkpoint (kind "segmenter") or a train-annotator snapshot (its S).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lagm/models/model_description.h"
#include "lagm/models/segmenter.h"

namespace lagm::annotator {

/// A segmenter in eval mode with the class names it was trained on and the rest of its
/// description (files written before descriptions were recorded get defaults, listed in
/// description.defaulted: callers that face a person warn with models::defaulted_warning).
struct LoadedSegmenter {
  std::unique_ptr<models::Segmenter> segmenter;
  std::vector<std::string> class_names;
  models::ModelDescription description;
};

/// Throws InputError("<path>: ...") when the file holds no segmenter.
LoadedSegmenter load_segmenter(const std::string& path);

/// The description of the segmenter a file holds, read from its header alone (no weights);
/// nullopt for files that hold no segmenter (a generator, a torchvision backbone).
std::optional<models::ModelDescription> read_model_description(const std::string& path);

/// A trained segmenter used as a fixed labeller (`role` names it in errors: "pseudo_labeller"):
/// on `device`, frozen, its classes checked against `class_names`. InputError naming the file.
std::unique_ptr<models::Segmenter> load_frozen_labeller(const std::string& path,
                                                        const std::string& role,
                                                        const std::vector<std::string>& class_names,
                                                        torch::Device device);

}  // namespace lagm::annotator

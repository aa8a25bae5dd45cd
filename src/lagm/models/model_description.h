// What a person receiving a trained segmenter needs to use it, carried inside the checkpoint
// (under "description" beside the network's config): its classes and their colours, the input it
// expects (size, resizing, normalisation), the labelled data it learned from, how it was made
// (lagm version, command, device, precision, data-parallel processes) and its validation metrics.
// `lagm info` prints it; `predict` and `export` take the classes, palette and input size from it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/io/image.h"

namespace lagm::models {

/// How lagm feeds images to every segmenter: RGB scaled to [-1, 1] (DeepLab's ImageNet
/// normalisation happens inside the network).
inline constexpr const char* kImageNormalization = "RGB / 127.5 - 1 (range [-1, 1])";
/// How an image of another size is brought to the input size (as the training data loader does).
inline constexpr const char* kInputResize = "PIL bicubic to height x width (aspect ratio not kept)";

struct ModelDescription {
  std::vector<std::string> class_names;
  std::vector<io::Rgb> palette;  ///< one colour per class
  /// The image size the network was trained at; 0 = not known (older files).
  int64_t input_height = 0, input_width = 0;
  std::string normalization = kImageNormalization;
  std::string resize = kInputResize;
  int64_t labelled_count = -1;  ///< images it learned from; -1 = not known
  std::string labelled_source;  ///< where they came from (a folder or a data set JSON)
  std::string lagm_version, command;
  std::string device = "cpu", precision = "fp32";
  int64_t processes = 1;      ///< data-parallel processes
  nlohmann::json validation;  ///< this checkpoint's validation metrics; null = none
  /// Read back from a file that lacked them: the fields filled with defaults (for a warning).
  std::vector<std::string> defaulted;
};

/// A description of a model being trained now: palette (the VOC colours), version and command line
/// filled in.
ModelDescription describe_training(const std::vector<std::string>& class_names,
                                   int64_t input_height, int64_t input_width,
                                   int64_t labelled_count, const std::string& labelled_source,
                                   const std::string& device, const std::string& precision,
                                   int64_t processes);

nlohmann::json to_json(const ModelDescription& d);

/// The description a file holds in `j` (null when it has none: an older file). Missing fields get
/// defaults and are listed in `defaulted`: the class names the file records elsewhere
/// (`class_names`; when it records none, "class0".."classK-1" for `num_classes`), VOC colours, size
/// unknown. InputError naming `where` for malformed values.
ModelDescription model_description_from_json(const nlohmann::json& j,
                                             const std::vector<std::string>& class_names,
                                             int64_t num_classes, const std::string& where);

/// "<where>: written without a model description (older lagm); assuming ..." or "" when nothing
/// was defaulted.
std::string defaulted_warning(const ModelDescription& d, const std::string& where);

/// Human-readable lines for `lagm info`.
std::string describe_text(const ModelDescription& d);

}  // namespace lagm::models

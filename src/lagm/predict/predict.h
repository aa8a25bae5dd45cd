// `lagm predict`: a trained segmenter applied to a user's own images. Each image is resized to the
// size the network was trained at (as the training loader resizes: PIL bicubic, aspect ratio not
// kept), predicted, and its labels brought back to the image's own size (bilinear on the logits,
// label_upsampling.h says why). Per image it writes, under the output folder and in the inputs'
// folder layout: masks/NAME.png (palette PNG in the model's colours, class names in a text chunk),
// and on request overlays/NAME.png (blend + legend) and probs/NAME.npy (float16 softmax [K, h, w]
// at the network's resolution: what it computed, with no interpolation invented); predictions.json
// (model, settings, each image's class pixel fractions) and, on request, index.html.
// A rerun skips finished images (the mask is written last, after the other outputs of its image).
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/progress.h"

namespace lagm::predict {

struct PredictOptions {
  std::vector<std::string> images;  ///< files, folders, list files (input_images.h)
  std::string out;
  int64_t batch = 8;  ///< images per forward pass
  int64_t res = 0;    ///< square input size; 0 = the model's recorded input size
  bool overlay = false, probs = false, report = false;
  bool skip_bad = false;  ///< skip (and count) unreadable images instead of failing
};

struct PredictResult {
  int64_t images = 0;           ///< images found
  int64_t predicted = 0;        ///< predicted by this run
  int64_t finished_before = 0;  ///< found finished and kept
  int64_t bad = 0;              ///< skipped as unreadable (skip_bad)
  std::string summary_path;     ///< predictions.json
};

/// Predicts every image `options.images` names with `model` (loaded from `model_path`) on
/// `device`. InputError naming the file for an unreadable image (unless skip_bad), UsageError for
/// options out of range or an output folder that holds another model's predictions.
PredictResult predict_images(annotator::LoadedSegmenter& model, const std::string& model_path,
                             const PredictOptions& options, torch::Device device,
                             const ProgressFn& progress = {});

}  // namespace lagm::predict

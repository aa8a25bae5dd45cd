// `lagm export --format pytorch`: a trained segmenter for PyTorch users, with no lagm needed to
// run it. DIR/model.safetensors holds the state dict under PyTorch's own names (the U-Net's are the
// reference's; a DeepLab's are torchvision's `deeplabv3_resnet101/50` names, lagm's input
// normalisation buffers left out since torchvision's network has none) and DIR/model.json says what
// a loader needs: architecture and options, classes and palette, input size, range and
// normalisation, and the model's whole description. tools/python/lagm_export.py loads it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/tensor_dict.h"

namespace lagm::predict {

/// The network's tensors under PyTorch's names.
core::TensorDict pytorch_state_dict(annotator::LoadedSegmenter& model);

/// model.json's content.
nlohmann::json export_manifest(const annotator::LoadedSegmenter& model,
                               const std::string& model_path);

/// Writes DIR/model.safetensors and DIR/model.json (atomically; DIR is created). Refuses
/// (InputError) a DIR that holds the model file itself.
void export_pytorch(annotator::LoadedSegmenter& model, const std::string& model_path,
                    const std::string& out_dir);

}  // namespace lagm::predict

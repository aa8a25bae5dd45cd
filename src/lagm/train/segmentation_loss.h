// The segmentation losses both phases of LAGM and downstream training use: cross entropy against
// soft labels (an annotator's softmax), against label maps with the ignore label 255, and the
// class-balancing weights either may take.
#pragma once

#include <torch/types.h>

#include <vector>

namespace lagm::train {

/// Soft-label cross entropy: mean over pixels of sum_c -p_c log_softmax(logits)_c; with
/// `class_weights` [K] defined, sum_c -w_c p_c log_softmax(logits)_c.
torch::Tensor soft_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target_probs,
                                 const torch::Tensor& class_weights = {});

/// The labelled loss of phase A: CE over valid pixels (ignore label 255); with `class_weights`
/// defined, the mean over all pixels of w_y CE (ignored pixels count 0), the synthetic loss's
/// normalisation.
torch::Tensor labelled_cross_entropy(const torch::Tensor& logits, const torch::Tensor& masks,
                                     const torch::Tensor& class_weights = {});

/// Class weights w_c proportional to f_c^-power over the classes present (f_c > 0; absent classes
/// weigh 0), scaled so that the mean pixel weight sum_c f_c w_c is 1. power 0 gives all ones.
torch::Tensor class_balance_weights(const std::vector<double>& frequencies, double power);

}  // namespace lagm::train

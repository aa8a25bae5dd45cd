// Class-prior calibration of an annotator (logit adjustment, as in the long-tail literature):
// per-class offsets added to the annotator's logits so that the arg-max labels of generated images
// have the labelled set's class frequencies. Why: matching cosines of gradient rows is blind to
// magnitude, so a small part (eyes ~1 % of the pixels) can be learnt in the right place but ten
// times too thin, and arg-max synthesis then never picks it. The offsets move only the decision
// thresholds between classes; where each class is most likely stays what A learnt.
#pragma once

#include <torch/types.h>

#include <vector>

namespace lagm::annotator {

/// Pixel frequency of each class in int label maps (any shape; values >= num_classes ignored).
std::vector<double> class_frequencies(const torch::Tensor& labels, int64_t num_classes);
/// The pixel frequencies of batches that draw a `share_b` of their samples from a set with
/// frequencies `b` and the rest from one with `a` (same classes): (1 - share_b) a + share_b b.
std::vector<double> mixed_class_frequencies(const std::vector<double>& a,
                                            const std::vector<double>& b, double share_b);

/// Offsets b [K] (b_0 = 0) such that argmax_c(logits_c + b_c) over `pixel_logits` [P, K] has
/// frequencies close to `target` [K]. A fixed-point iteration b += rate_t clamp(log t - log f,
/// ±0.5) with a decaying rate; returns the offsets of the iterate with the smallest L1 frequency
/// error.
std::vector<double> fit_logit_offsets(const torch::Tensor& pixel_logits,
                                      const std::vector<double>& target, int iterations = 300);

/// logits [N, K, H, W] + offsets [K], broadcast over the class dimension.
torch::Tensor apply_logit_offsets(const torch::Tensor& logits, const std::vector<double>& offsets);

}  // namespace lagm::annotator

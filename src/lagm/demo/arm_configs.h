// The configuration of each of the demo's trainings, from its options and settings: every
// downstream U-Net (one budget for all arms), the few-label recipe, a route arm's downstream
// training and gradient matching's phase I.
#pragma once

#include <string>

#include "lagm/demo/demo.h"
#include "lagm/downstream/segmenter_train_config.h"
#include "lagm/matching/annotator_train_config.h"

namespace lagm::demo {

/// `rel` inside the demo's folder.
std::string demo_path(const DemoOptions& o, const std::string& rel);

/// The arm's best downstream checkpoint (by validation mIoU, its segmenter/best.json).
std::string best_checkpoint(const DemoOptions& o, const std::string& arm);

/// A downstream U-Net on `train_dir`, validated on the demo's validation set: the budget every arm
/// gets.
downstream::SegmenterTrainConfig segmenter_config(const DemoOptions& o, const DemoSettings& s,
                                                  const std::string& train_dir);

/// The few-label recipe: the N images with strong augmentation, as many steps per epoch as the
/// synthesized sets give the other arms.
downstream::SegmenterTrainConfig few_label_config(const DemoOptions& o, const DemoSettings& s);

/// A route arm's downstream training: its synthesized set, with the N labels mixed into every
/// batch unless mixing is off.
downstream::SegmenterTrainConfig route_segmenter_config(const DemoOptions& o, const DemoSettings& s,
                                                        const std::string& arm);

/// The semi-supervised arms: the few-label recipe on the N labels, with a batch of the demo's
/// unlabelled photo renders (`data`/unlabelled) beside every batch. Mean teacher's consistency
/// weight reaches its full value after a quarter of the steps; the adversarial segmenter's
/// self-training starts there (its paper: after 5000 of 20000 iterations).
downstream::SegmenterTrainConfig semi_supervised_config(const DemoOptions& o, const DemoSettings& s,
                                                        downstream::SemiSupervisedMethod method);

/// Phase I of gradient matching on the demo's labelled set (`data`/labelled); with its levers,
/// A's labels pulled towards the few-label U-Net's, or A started from the pseudo-labelling
/// annotator, both of which must have been trained.
matching::AnnotatorTrainConfig gradient_matching_config(const DemoOptions& o, const DemoSettings& s,
                                                        const std::string& data);

/// The matching_alone arm's phase I: gradient_matching_config without the pull of A's labels
/// towards the few-label U-Net's (the paper's phase A), every other setting the same.
matching::AnnotatorTrainConfig matching_alone_config(const DemoOptions& o, const DemoSettings& s,
                                                     const std::string& data);

}  // namespace lagm::demo

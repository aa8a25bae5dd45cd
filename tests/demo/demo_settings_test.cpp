// The demo's levers: each override reaches the settings the arms are built from and their record.
#include <gtest/gtest.h>

#include "lagm/demo/demo.h"

namespace {

TEST(DemoSettings, LearningRateLeversOverrideTheDefaultsAndAreRecorded) {
  const auto defaults = lagm::demo::demo_settings(false);
  lagm::demo::GradientMatchingLevers levers;
  levers.annotator_lr = 1e-4;
  levers.segmenter_lr = 5e-4;
  const auto s = lagm::demo::demo_settings(false, levers);
  EXPECT_EQ(s.gm_lr, 1e-4);
  EXPECT_EQ(s.gm_segmenter_lr, 5e-4);
  EXPECT_NE(defaults.gm_lr, s.gm_lr);
  const auto j = s.to_json().at("gm_optimizer");
  EXPECT_EQ(j.at("lr").get<double>(), 1e-4);
  EXPECT_EQ(j.at("segmenter_lr").get<double>(), 5e-4);
  // Nothing else moves.
  EXPECT_EQ(s.gm_steps, defaults.gm_steps);
  EXPECT_EQ(s.init_from_pseudo_label, defaults.init_from_pseudo_label);
}

}  // namespace

namespace {

TEST(DemoSettings, PseudoLabelWeightLeverOverridesTheDefaultAndIsRecorded) {
  const auto defaults = lagm::demo::demo_settings(false);
  lagm::demo::GradientMatchingLevers levers;
  levers.pseudo_label_weight = defaults.gm_pseudo_label_weight + 0.25;
  const auto s = lagm::demo::demo_settings(false, levers);
  EXPECT_EQ(s.gm_pseudo_label_weight, defaults.gm_pseudo_label_weight + 0.25);
  EXPECT_EQ(s.to_json().at("gm_pseudo_label_weight").get<double>(), s.gm_pseudo_label_weight);
  EXPECT_EQ(s.gm_lr, defaults.gm_lr);
  EXPECT_EQ(s.gm_steps, defaults.gm_steps);
}

}  // namespace

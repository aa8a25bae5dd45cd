// The demo's levers: each override reaches the setting the arms are built from and its record;
// values out of a lever's range, of the wrong kind or for no lever are refused naming the option.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <variant>

#include "lagm/core/error.h"
#include "lagm/demo/demo.h"
#include "lagm/demo/levers.h"

namespace {

namespace demo = lagm::demo;
using ::testing::HasSubstr;

TEST(DemoSettings, LearningRateLeversOverrideTheDefaultsAndAreRecorded) {
  const auto defaults = demo::demo_settings(false);
  const auto s =
      demo::demo_settings(false, {{"--gm-annotator-lr", "1e-4"}, {"--gm-segmenter-lr", "5e-4"}});
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

TEST(DemoSettings, PseudoLabelWeightLeverOverridesTheDefaultAndIsRecorded) {
  const auto defaults = demo::demo_settings(false);
  const auto s = demo::demo_settings(false, {{"--gm-pseudo-label-weight", "1.25"}});
  EXPECT_EQ(s.gm_pseudo_label_weight, 1.25);
  EXPECT_NE(s.gm_pseudo_label_weight, defaults.gm_pseudo_label_weight);
  EXPECT_EQ(s.to_json().at("gm_pseudo_label_weight").get<double>(), s.gm_pseudo_label_weight);
  EXPECT_EQ(s.gm_lr, defaults.gm_lr);
}

// A value inside each lever's domain other than the default: a lever moves its own setting only.
std::string other_value(const demo::Lever& lever, const demo::DemoSettings& defaults) {
  if (std::holds_alternative<bool demo::DemoSettings::*>(lever.setting)) {
    if (lever.words[0].empty()) return "";
    const bool now = defaults.*std::get<bool demo::DemoSettings::*>(lever.setting);
    return lever.words[now ? 0 : 1];
  }
  const double current = std::stod(demo::lever_value(lever, defaults));
  auto allowed = [&](double v) {
    return (lever.min_exclusive ? v > lever.min : v >= lever.min) &&
           (lever.max_exclusive ? v < lever.max : v <= lever.max);
  };
  for (const double v : {lever.min + 1, lever.min, (lever.min + lever.max) / 2})
    if (allowed(v) && v != current) return std::to_string(v);
  ADD_FAILURE() << lever.option << ": no other value found";
  return "";
}

TEST(DemoLevers, EachLeverMovesItsOwnSettingOnly) {
  const demo::DemoSettings defaults;
  for (const auto& lever : demo::levers()) {
    const auto text = other_value(lever, defaults);
    const auto s = demo::demo_settings(false, {{lever.option, text}});
    EXPECT_NE(demo::lever_value(lever, s), demo::lever_value(lever, defaults)) << lever.option;
    for (const auto& other : demo::levers())
      if (other.option != lever.option)
        EXPECT_EQ(demo::lever_value(other, s), demo::lever_value(other, defaults))
            << lever.option << " moved " << other.option;
  }
}

void expect_refused(const demo::LeverOverrides& overrides, const std::string& option) {
  try {
    demo::demo_settings(false, overrides);
    ADD_FAILURE() << option << " " << overrides.begin()->second << " was accepted";
  } catch (const lagm::UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr(option));
  }
}

TEST(DemoLevers, ValuesOutsideTheirDomainAreRefusedNamingTheOption) {
  expect_refused({{"--gm-steps", "0"}}, "--gm-steps");
  expect_refused({{"--gm-steps", "2.5"}}, "--gm-steps");
  expect_refused({{"--gm-annotator-lr", "0"}}, "--gm-annotator-lr");
  expect_refused({{"--annotator-ema", "1"}}, "--annotator-ema");
  expect_refused({{"--gm-class-balance", "nan"}}, "--gm-class-balance");
  expect_refused({{"--synthesis-psi", "2.5"}}, "--synthesis-psi");
  expect_refused({{"--mix-labels", "16"}}, "--mix-labels");
  expect_refused({{"--calibrate-priors", "yes"}}, "--calibrate-priors");
  expect_refused({{"--gm-init", "pretrained"}}, "--gm-init");
  expect_refused({{"--magnitude-weight", "1x"}}, "--magnitude-weight");
  expect_refused({{"--no-such-lever", "1"}}, "--no-such-lever");
}

TEST(DemoLevers, TheOldSpellingOfARenamedLeverStillWorks) {
  const auto s = demo::demo_settings(false, {{"--class-balance", "0.5"}});
  EXPECT_EQ(s.class_balance_power, 0.5);
  EXPECT_EQ(demo::demo_settings(false, {{"--gm-class-balance", "0.5"}}).class_balance_power, 0.5);
}

TEST(DemoLevers, DomainsAndValuesReadAsAUserTypesThem) {
  const demo::DemoSettings defaults;
  for (const auto& lever : demo::levers()) {
    if (lever.option == "--gm-class-balance") EXPECT_EQ(demo::lever_domain(lever), "in [0, 1]");
    if (lever.option == "--annotator-ema") EXPECT_EQ(demo::lever_domain(lever), "in [0, 1)");
    if (lever.option == "--gm-annotator-lr") {
      EXPECT_EQ(demo::lever_domain(lever), "> 0");
      EXPECT_EQ(demo::lever_value(lever, defaults), "0.001");
    }
    if (lever.option == "--calibrate-priors") {
      EXPECT_EQ(demo::lever_domain(lever), "on|off");
      EXPECT_EQ(demo::lever_value(lever, defaults), "on");
    }
  }
}

}  // namespace

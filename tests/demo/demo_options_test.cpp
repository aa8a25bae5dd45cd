// The demo's choices of labelled set and arms: read from what a user types, refused by setting
// name when unknown, and described in the reports' words.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/demo/arm_configs.h"
#include "lagm/demo/demo.h"
#include "test_support.h"

namespace {

using ::testing::HasSubstr;
namespace demo = lagm::demo;

TEST(DemoArms, ListsAreReadInTheReportsOrderAndAllMeansEvery) {
  EXPECT_TRUE(demo::parse_arm_list("default").empty());
  EXPECT_EQ(demo::parse_arm_list("all"),
            (std::vector<std::string>{"matching_alone", "supervised", "datasetgan", "inversion",
                                      "maml", "mean_teacher", "adversarial_ssl"}));
  EXPECT_TRUE(demo::is_route_arm("maml"));
  EXPECT_TRUE(demo::is_route_arm("matching_alone"));
  EXPECT_FALSE(demo::is_route_arm("adversarial_ssl"));
  EXPECT_EQ(demo::parse_arm_list("maml,supervised"),
            (std::vector<std::string>{"supervised", "maml"}));
  EXPECT_EQ(demo::parse_arm_list("datasetgan"), (std::vector<std::string>{"datasetgan"}));
  demo::DemoOptions o;
  o.comparison_arms = demo::parse_arm_list("inversion");
  EXPECT_TRUE(demo::runs_arm(o, "inversion"));
  EXPECT_FALSE(demo::runs_arm(o, "maml"));
}

TEST(DemoArms, AnUnknownArmIsRefusedByName) {
  for (const char* text : {"supervised,meanteacher", "", "supervised,", "all,maml"}) {
    try {
      demo::parse_arm_list(text);
      ADD_FAILURE() << "'" << text << "' accepted";
    } catch (const lagm::SettingError& e) {
      EXPECT_EQ(e.key(), "arms") << text;
      EXPECT_THAT(e.what(), HasSubstr("unknown arm")) << text;
      EXPECT_THAT(e.what(), HasSubstr("matching_alone, supervised")) << text;
    }
  }
}

// The matching_alone arm is gradient matching without the pull: everything else the same, and
// refused where the demo's own gradient matching already runs without it.
TEST(DemoArms, MatchingAloneIsGradientMatchingWithoutThePull) {
  demo::DemoOptions o;
  o.out = lagm::test::fresh_temp_dir("demo_matching_alone").string();
  std::filesystem::create_directories(o.out + "/few_label/segmenter");
  lagm::core::write_file_atomic(o.out + "/few_label/segmenter/best.json", "{\"epoch\": 3}\n");
  const auto s = demo::demo_settings(false);
  auto with_pull = lagm::matching::to_json(demo::gradient_matching_config(o, s, o.out + "/data"));
  auto alone = lagm::matching::to_json(demo::matching_alone_config(o, s, o.out + "/data"));
  EXPECT_EQ(with_pull.at("pseudo_labeller"),
            o.out + "/few_label/segmenter/segmenter-003.safetensors");
  EXPECT_GT(with_pull.at("pseudo_label_weight").get<double>(), 0);
  EXPECT_EQ(alone.at("pseudo_labeller"), "");
  EXPECT_EQ(alone.at("pseudo_label_weight").get<double>(), 0);
  for (const char* key : {"pseudo_labeller", "pseudo_label_weight"}) {
    with_pull.erase(key);
    alone.erase(key);
  }
  EXPECT_EQ(alone, with_pull);

  o.comparison_arms = demo::parse_arm_list("matching_alone");
  EXPECT_NO_THROW(demo::check_demo_options(o));
  o.levers["--gm-pseudo-label-weight"] = "0";
  EXPECT_THROW(demo::check_demo_options(o), lagm::SettingError);
}

TEST(DemoLabelledSource, GeneratedIsTheTableOneProtocolAndTakesNoStyle) {
  demo::DemoOptions o;
  o.labels = 10;
  EXPECT_EQ(demo::describe_labelled_set(o), "10 labelled photo images");
  o.labelled_source = demo::parse_labelled_source("generated");
  EXPECT_EQ(o.labelled_source, demo::LabelledSource::kGenerated);
  EXPECT_THAT(demo::describe_labelled_set(o), HasSubstr("generated images labelled by the oracle"));
  EXPECT_THAT(demo::describe_labelled_set(o), HasSubstr("Table 1"));
  o.labelled_style = lagm::toy::Style::kFlat;
  EXPECT_THROW(demo::check_demo_options(o), lagm::SettingError);
  EXPECT_THROW(demo::parse_labelled_source("photos"), lagm::SettingError);
}

}  // namespace

// The demo's choices of labelled set and arms: read from what a user types, refused by setting
// name when unknown, and described in the reports' words.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lagm/core/error.h"
#include "lagm/demo/demo.h"

namespace {

using ::testing::HasSubstr;
namespace demo = lagm::demo;

TEST(DemoArms, ListsAreReadInTheReportsOrderAndAllMeansEvery) {
  EXPECT_TRUE(demo::parse_arm_list("default").empty());
  EXPECT_EQ(demo::parse_arm_list("all"),
            (std::vector<std::string>{"supervised", "datasetgan", "inversion", "maml",
                                      "mean_teacher", "adversarial_ssl"}));
  EXPECT_TRUE(demo::is_route_arm("maml"));
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
    }
  }
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

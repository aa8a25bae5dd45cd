// `lagm demo --seeds`: the summary's means and sample standard deviations over seeds.
#include <gtest/gtest.h>

#include <cmath>

#include "lagm/demo/demo.h"

namespace {

lagm::demo::DemoResult result(double miou, double eyes, double quality_eyes) {
  lagm::demo::DemoResult r;
  r.class_names = {"background", "eyes"};
  lagm::demo::ArmResult a;
  a.name = "gradient_matching";
  a.metrics.mean_iou = miou;
  a.metrics.fg_mean_iou = eyes;
  a.metrics.pixel_accuracy = 0.9;
  a.metrics.iou = {0.9, eyes};
  a.annotator_quality = {
      {"vs_oracle", {{"fg_mIoU", quality_eyes}, {"per_class_iou", {0.95, quality_eyes}}}}};
  r.arms.push_back(a);
  lagm::demo::ArmResult b = a;
  b.name = "few_label";
  b.annotator_quality = nullptr;
  r.arms.push_back(b);
  return r;
}

}  // namespace

TEST(DemoSeeds, SummaryHasMeanAndSampleStdPerArmAndClass) {
  lagm::demo::DemoOptions o;
  const auto j = lagm::demo::summarize_seeds(
      o, {0, 1, 2}, {result(0.5, 0.2, 0.4), result(0.6, 0.4, 0.5), result(0.7, 0.0, 0.6)});
  const auto& gm = j.at("methods").at("gradient_matching");
  EXPECT_NEAR(gm.at("mIoU").at("mean").get<double>(), 0.6, 1e-12);
  EXPECT_NEAR(gm.at("mIoU").at("std").get<double>(), 0.1, 1e-12);  // sample std of 0.5, 0.6, 0.7
  EXPECT_NEAR(gm.at("per_class")[1].at("mean").get<double>(), 0.2, 1e-12);
  EXPECT_NEAR(gm.at("per_class")[1].at("std").get<double>(), 0.2, 1e-12);
  EXPECT_NEAR(gm.at("annotator_quality").at("per_class")[1].at("mean").get<double>(), 0.5, 1e-12);
  EXPECT_FALSE(j.at("methods").at("few_label").contains("annotator_quality"));
  EXPECT_EQ(j.at("seeds"), nlohmann::json({0, 1, 2}));
}

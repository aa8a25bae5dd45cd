// lagm demo --quick with the shipped generator: every arm, the report files, resume.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/data/folder_dataset.h"
#include "test_support.h"

namespace {

using lagm::test::run_command;
using ::testing::HasSubstr;

TEST(DemoCli, QuickRunWritesResultsForEveryArmAndResumes) {
  const auto top = lagm::test::fresh_temp_dir("demo_quick").string() + "/run";
  const std::string cmd = std::string(LAGM_BINARY) + " demo --quick --seeds 0 --out " + top +
                          " --generator " + std::string(LAGM_SOURCE_DIR) +
                          "/models/faces64.safetensors";
  auto [code, out] = run_command(cmd);
  ASSERT_EQ(code, 0) << out;
  const std::string dir = top + "/seed-0";
  const auto j = nlohmann::json::parse(lagm::core::read_file(dir + "/results.json"));
  EXPECT_EQ(j.at("labels").get<int>(), 10);
  EXPECT_EQ(j.at("labelled_style").get<std::string>(), "photo");
  EXPECT_GT(j.at("seconds").get<double>(), 0.0);
  for (const char* arm : {"gradient_matching", "few_label", "pseudo_label", "oracle"}) {
    const auto& m = j.at("methods").at(arm);
    const double miou = m.at("mIoU").get<double>();
    EXPECT_GT(miou, 0.0) << arm;
    EXPECT_LE(miou, 1.0) << arm;
    EXPECT_EQ(m.at("per_class").size(), 8u) << arm;
    EXPECT_GT(m.at("pACC").get<double>(), 0.5) << arm;  // at least background and skin are found
  }
  // The oracle (300 labelled photos) must beat labelling everything as background (mIoU ~0.08).
  EXPECT_GT(j.at("methods").at("oracle").at("mIoU").get<double>(), 0.15);
  for (const char* f : {"report.html", "report.md", "predictions.png", "annotator_labels.png"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  EXPECT_THAT(lagm::core::read_file(dir + "/report.md"), HasSubstr("| gradient matching (ours) |"));
  EXPECT_THAT(lagm::core::read_file(dir + "/report.md"), HasSubstr("against the oracle's labels"));
  // The report states the levers it ran with, the downstream loss of every arm included.
  EXPECT_THAT(lagm::core::read_file(dir + "/report.md"),
              HasSubstr("Every downstream U-Net: class-balanced loss power 1"));
  // Phase A is pulled towards the few-label U-Net's labels by default, and the report says so.
  EXPECT_THAT(lagm::core::read_file(dir + "/report.md"),
              HasSubstr("pulled towards the few-label U-Net's labels of the same generated images "
                        "(weight 1 against the matching loss)"));
  const auto phase_one = nlohmann::json::parse(
      lagm::core::read_file(dir + "/gradient_matching/annotator/00000-gm/config.json"));
  EXPECT_EQ(phase_one.at("pseudo_label_weight").get<double>(), 1.0);
  EXPECT_THAT(phase_one.at("pseudo_labeller").get<std::string>(),
              HasSubstr("few_label/segmenter/segmenter-"));
  // The annotator arms carry their labels' quality against the oracle's, in range and consistent.
  for (const char* arm : {"gradient_matching", "pseudo_label"}) {
    const auto& q = j.at("methods").at(arm).at("annotator_quality");
    const auto iou = q.at("vs_oracle").at("per_class_iou").get<std::vector<double>>();
    ASSERT_EQ(iou.size(), 8u) << arm;
    for (double v : iou) EXPECT_TRUE(v >= 0 && v <= 1) << arm;
    double fg = 0;
    for (size_t c = 1; c < 8; ++c) fg += iou[c] / 7;
    EXPECT_NEAR(q.at("vs_oracle").at("fg_mIoU").get<double>(), fg, 1e-9) << arm;
    EXPECT_GT(iou[0], 0.5) << arm;  // background is found by every annotator
  }
  EXPECT_EQ(
      j.at("methods").at("gradient_matching").at("annotator_quality").at("logit_offsets").size(),
      8u);
  EXPECT_TRUE(
      j.at("methods").at("pseudo_label").at("annotator_quality").at("logit_offsets").empty());
  // One seed: the summary's means are that seed's figures, with no spread.
  const auto summary = nlohmann::json::parse(lagm::core::read_file(top + "/summary.json"));
  EXPECT_EQ(summary.at("seeds"), nlohmann::json({0}));
  EXPECT_DOUBLE_EQ(summary.at("methods").at("oracle").at("mIoU").at("mean").get<double>(),
                   j.at("methods").at("oracle").at("mIoU").get<double>());
  EXPECT_EQ(summary.at("methods").at("oracle").at("mIoU").at("std").get<double>(), 0.0);
  EXPECT_TRUE(std::filesystem::exists(top + "/summary.md"));

  // A second invocation finds every stage done and reproduces the results.
  std::tie(code, out) = run_command(cmd);
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("[oracle] already done"));
  const auto again = nlohmann::json::parse(lagm::core::read_file(dir + "/results.json"));
  EXPECT_EQ(again.at("methods"), j.at("methods"));

  // A lever that adds arms reuses every finished stage and trains only the new ones.
  std::tie(code, out) = run_command(cmd + " --finetune-lr 1e-3 --synthetic-only-rows");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("[gradient_matching] already done"));
  EXPECT_THAT(out, HasSubstr("[pseudo_label_finetuned] done"));
  EXPECT_THAT(out, HasSubstr("[gradient_matching_synthetic_only] done"));
  const auto tuned = nlohmann::json::parse(lagm::core::read_file(dir + "/results.json"));
  EXPECT_EQ(tuned.at("methods").at("gradient_matching"), j.at("methods").at("gradient_matching"));
  for (const char* arm : {"gradient_matching_finetuned", "pseudo_label_finetuned",
                          "gradient_matching_synthetic_only", "pseudo_label_synthetic_only"}) {
    const auto& m = tuned.at("methods").at(arm);
    EXPECT_GT(m.at("pACC").get<double>(), 0.5) << arm;
    EXPECT_EQ(m.at("per_class").size(), 8u) << arm;
  }
  EXPECT_DOUBLE_EQ(tuned.at("settings").at("finetune_lr").get<double>(), 1e-3);
  // The route arms mix 4 of every 16 samples from the labels by default; the extra rows do not.
  EXPECT_EQ(tuned.at("settings").at("mix_labels").get<int64_t>(), 4);
  EXPECT_NE(tuned.at("methods").at("gradient_matching_synthetic_only").at("fg_mIoU"),
            tuned.at("methods").at("gradient_matching").at("fg_mIoU"));
  const auto report = lagm::core::read_file(dir + "/report.md");
  EXPECT_THAT(report, HasSubstr("| gradient matching (ours), fine-tuned on the N labels |"));
  EXPECT_THAT(report, HasSubstr("| pseudo-labelling, synthesized images only |"));
  EXPECT_THAT(report, HasSubstr("with 4 of every 16 samples drawn from the N labels"));
  std::tie(code, out) = run_command(cmd + " --mix-labels 16");
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("--mix-labels 16: must be in [0, 16)"));

  std::tie(code, out) =
      run_command(std::string(LAGM_BINARY) + " demo --labelled-style sketch --out " + dir);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("unknown style"));
  std::tie(code, out) =
      run_command(std::string(LAGM_BINARY) + " demo --seed 1 --seeds 0,1 --out " + dir);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("--seeds"));
  std::tie(code, out) =
      run_command(std::string(LAGM_BINARY) + " demo --calibrate-priors maybe --out " + dir);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("--calibrate-priors"));
  std::tie(code, out) =
      run_command(std::string(LAGM_BINARY) + " demo --gm-init pretrained --out " + dir);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("--gm-init"));
  std::tie(code, out) =
      run_command(std::string(LAGM_BINARY) + " demo --gm-annotator-lr 0 --out " + dir);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("--gm-annotator-lr"));
  std::tie(code, out) =
      run_command(std::string(LAGM_BINARY) + " demo --gm-pseudo-label-weight -1 --out " + dir);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("--gm-pseudo-label-weight"));
}

}  // namespace

// --arms adds the paper's comparison arms on the same data and downstream budget, each made
// the way its method says: DatasetGAN's synthesis keeps the least uncertain 90 % of its images,
// the inversion arm projected every labelled image, the maml arm ran phase I with that learner,
// the matching_alone arm without the pull.
TEST(DemoCli, QuickRunWithEveryArmAddsTheComparisonArms) {
  const auto dir = lagm::test::fresh_temp_dir("demo_arms").string() + "/run";
  const std::string cmd =
      std::string(LAGM_BINARY) +
      " demo --quick --arms maml,inversion,supervised,datasetgan,matching_alone --out " + dir +
      " --generator " + std::string(LAGM_SOURCE_DIR) + "/models/faces64.safetensors";
  auto [code, out] = run_command(cmd);
  ASSERT_EQ(code, 0) << out;
  const auto j = nlohmann::json::parse(lagm::core::read_file(dir + "/results.json"));
  for (const char* arm : {"supervised", "datasetgan", "inversion", "maml", "matching_alone"}) {
    const auto& m = j.at("methods").at(arm);
    EXPECT_GT(m.at("pACC").get<double>(), 0.5) << arm;
    EXPECT_EQ(m.at("per_class").size(), 8u) << arm;
    EXPECT_EQ(m.at("annotator_quality").at("vs_oracle").at("per_class_iou").size(), 8u) << arm;
  }
  // The report names each arm and says who labelled the generated images.
  const auto report = lagm::core::read_file(dir + "/report.md");
  EXPECT_THAT(report, HasSubstr("| DatasetGAN's MLP ensemble (N labelled generated images) |"));
  EXPECT_THAT(report, HasSubstr("oracle U-Net, which stands in for the person"));
  // The person of DatasetGAN's protocol labelled N generated images.
  EXPECT_EQ(lagm::data::FolderDataset(dir + "/data/labelled_generated").size(), 10u);
  const auto synthesized =
      nlohmann::json::parse(lagm::core::read_file(dir + "/datasetgan/synthesized/dataset.json"));
  EXPECT_EQ(synthesized.at("rank_by"), "uncertainty");
  EXPECT_EQ(synthesized.at("num_images").get<int>(), 334);  // 300 / 0.9, rounded up
  EXPECT_EQ(synthesized.at("samples").size(), 301u);        // 90 % of them, rounded up
  const auto projection =
      nlohmann::json::parse(lagm::core::read_file(dir + "/inversion/projections/projection.json"));
  EXPECT_EQ(projection.at("per_image").size(), 10u);
  const auto maml =
      nlohmann::json::parse(lagm::core::read_file(dir + "/maml/annotator/00000-gm/config.json"));
  EXPECT_EQ(maml.at("learner"), "maml");
  EXPECT_EQ(maml.at("inner_steps"), 1);
  // Matching alone: the same phase I as gradient matching's, without the pull.
  const auto alone = nlohmann::json::parse(
      lagm::core::read_file(dir + "/matching_alone/annotator/00000-gm/config.json"));
  const auto gm = nlohmann::json::parse(
      lagm::core::read_file(dir + "/gradient_matching/annotator/00000-gm/config.json"));
  EXPECT_EQ(alone.at("pseudo_label_weight").get<double>(), 0);
  EXPECT_GT(gm.at("pseudo_label_weight").get<double>(), 0);
  EXPECT_EQ(alone.at("total_iters"), gm.at("total_iters"));
  EXPECT_THAT(report, HasSubstr("| gradient matching alone (no pull towards few-label labels) |"));
}

// The Table 1 protocol: the N labelled images are generated images the oracle labelled, and
// gradient matching, the few-label U-Net and the supervised annotator all learn from exactly
// those; the arms not asked for do not run; mean teacher adds unlabelled photos of its own.
TEST(DemoCli, GeneratedLabelsAreTheLabelledSetOfEveryArm) {
  const auto dir = lagm::test::fresh_temp_dir("demo_table1").string() + "/run";
  const std::string cmd = std::string(LAGM_BINARY) +
                          " demo --quick --labelled-source generated --arms "
                          "supervised,mean_teacher,adversarial_ssl --out " +
                          dir + " --generator " + std::string(LAGM_SOURCE_DIR) +
                          "/models/faces64.safetensors";
  auto [code, out] = run_command(cmd);
  ASSERT_EQ(code, 0) << out;
  const lagm::data::FolderDataset labelled(dir + "/data/labelled");
  ASSERT_EQ(labelled.size(), 10u);
  // Named by the generator seeds they were drawn from (10,000,000 + i for seed 0).
  EXPECT_EQ(labelled.ids().front(), "seed10000000");
  EXPECT_FALSE(std::filesystem::exists(dir + "/data/labelled_generated"));
  const auto gm = nlohmann::json::parse(
      lagm::core::read_file(dir + "/gradient_matching/annotator/00000-gm/config.json"));
  EXPECT_EQ(gm.at("training_set").at("path"), dir + "/data/labelled");
  const auto supervised =
      nlohmann::json::parse(lagm::core::read_file(dir + "/supervised/annotator/config.json"));
  EXPECT_EQ(supervised.at("labels"), dir + "/data/labelled");
  const auto j = nlohmann::json::parse(lagm::core::read_file(dir + "/results.json"));
  EXPECT_EQ(j.at("labelled_source"), "generated");
  EXPECT_TRUE(j.at("methods").contains("supervised"));
  EXPECT_FALSE(j.at("methods").contains("datasetgan"));
  // Mean teacher learnt from the same labels and unlabelled photo renders of its own.
  EXPECT_GT(j.at("methods").at("mean_teacher").at("pACC").get<double>(), 0.5);
  const auto mean_teacher =
      nlohmann::json::parse(lagm::core::read_file(dir + "/mean_teacher/segmenter/config.json"));
  EXPECT_EQ(mean_teacher.at("data").at("path"), dir + "/data/labelled");
  EXPECT_EQ(mean_teacher.at("unlabelled").at("path"), dir + "/data/unlabelled");
  EXPECT_EQ(lagm::data::FolderDataset(dir + "/data/unlabelled").size(), 300u);
  EXPECT_GT(j.at("methods").at("adversarial_ssl").at("pACC").get<double>(), 0.5);
  EXPECT_EQ(j.at("methods")
                .at("gradient_matching")
                .at("annotator_quality")
                .at("vs_oracle")
                .at("per_class_iou")
                .size(),
            8u);
  EXPECT_THAT(
      lagm::core::read_file(dir + "/report.md"),
      HasSubstr("# lagm demo: 10 generated images labelled by the oracle (Table 1 protocol)"));
}

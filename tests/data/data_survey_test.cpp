#include "lagm/data/data_survey.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "fixtures.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/folder_dataset.h"
#include "test_support.h"

using ::testing::HasSubstr;

namespace {

std::string survey_fingerprint(const std::string& dir) {
  return lagm::data::survey_dataset(lagm::data::FolderDataset(dir), "data").fingerprint;
}

}  // namespace

// The fingerprint is that of what training sees: the same data give the same one, read again or
// copied elsewhere; one label pixel, one image pixel or one sample more changes it.
TEST(DataSurvey, FingerprintFollowsTheImagesAndLabelsNotTheFolder) {
  const auto dir = lagm::test::fresh_temp_dir("survey_fp").string();
  lagm::test::write_random_folder_dataset(dir + "/a", 3, 3);
  const auto original = survey_fingerprint(dir + "/a");
  EXPECT_EQ(original.size(), 16u);
  EXPECT_EQ(survey_fingerprint(dir + "/a"), original);
  std::filesystem::copy(dir + "/a", dir + "/copy", std::filesystem::copy_options::recursive);
  EXPECT_EQ(survey_fingerprint(dir + "/copy"), original);

  const lagm::data::FolderDataset a(dir + "/a");
  const auto s = a.get(1);
  auto image = ((s.image + 1) * 127.5).round().clamp(0, 255).permute({1, 2, 0}).to(torch::kUInt8);
  auto label = s.label.to(torch::kUInt8);
  label[5][7] = (label[5][7].item<int>() + 1) % 3;
  lagm::data::write_folder_sample(dir + "/copy", s.id, image.contiguous(), label);
  const auto one_label = survey_fingerprint(dir + "/copy");
  EXPECT_NE(one_label, original);
  image[0][0][0] = 255 - image[0][0][0].item<int>();
  lagm::data::write_folder_sample(dir + "/copy", s.id, image.contiguous(), label);
  EXPECT_NE(survey_fingerprint(dir + "/copy"), one_label);
  lagm::test::write_random_folder_dataset(dir + "/b", 4, 3);
  EXPECT_NE(survey_fingerprint(dir + "/b"), original);
}

// Every sample is read: a broken file is named before any training; labels are counted (255 left
// out) and a set with no labelled pixel at all is refused.
TEST(DataSurvey, ReadsEverySampleCountsLabelsAndRefusesASetWithNoLabelledPixel) {
  const auto dir = lagm::test::fresh_temp_dir("survey_read").string();
  lagm::data::write_dataset_json(dir + "/d", {{"classes", {"a", "b", "c"}}});
  auto mask = torch::full({16, 16}, 255, torch::kUInt8);
  mask.narrow(0, 0, 4).fill_(0);
  mask.narrow(0, 4, 12).narrow(1, 0, 4).fill_(2);  // 64 of class 0, 48 of class 2
  const auto image = torch::zeros({16, 16, 3}, torch::kUInt8);
  lagm::data::write_folder_sample(dir + "/d", "labelled", image, mask);
  lagm::data::write_folder_sample(dir + "/d", "unlabelled", image,
                                  torch::full({16, 16}, 255, torch::kUInt8));
  const auto survey = lagm::data::survey_dataset(lagm::data::FolderDataset(dir + "/d"), "data");
  EXPECT_EQ(survey.images, 2);
  EXPECT_EQ(survey.unlabelled_images, 1);
  ASSERT_EQ(survey.class_frequencies.size(), 3u);
  EXPECT_DOUBLE_EQ(survey.class_frequencies[0], 64.0 / 112);
  EXPECT_DOUBLE_EQ(survey.class_frequencies[1], 0.0);
  EXPECT_DOUBLE_EQ(survey.class_frequencies[2], 48.0 / 112);

  lagm::data::write_folder_sample(dir + "/d", "labelled", image,
                                  torch::full({16, 16}, 255, torch::kUInt8));
  try {
    lagm::data::survey_dataset(lagm::data::FolderDataset(dir + "/d"), "train-seg --val");
    ADD_FAILURE() << "a set without a labelled pixel was accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("train-seg --val"));
    EXPECT_THAT(e.what(), HasSubstr("no labelled pixel"));
  }
  lagm::core::write_file_atomic(dir + "/d/img/unlabelled.png", "not a png");
  try {
    lagm::data::survey_dataset(lagm::data::FolderDataset(dir + "/d"), "data");
    ADD_FAILURE() << "a broken image was accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unlabelled.png"));
  }
}

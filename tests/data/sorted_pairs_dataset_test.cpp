// test_seg.py's --cv test folders: images and *npy* labels in one folder, each list sorted by name,
// paired by position; 3-D labels take [:, :, 0]; astype(uint8); no clean-up. A Python script (PIL +
// NumPy, from the reference loader's rules) writes the folder and the expected samples.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "lagm/core/error.h"
#include "lagm/data/dataset_spec.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/io/npy.h"
#include "test_support.h"

namespace lagm::data {
namespace {

namespace fs = std::filesystem;

class SortedPairs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = lagm::test::fresh_temp_dir("sorted_pairs");
    ASSERT_EQ(lagm::test::run_python_file("sorted_pairs_fixture", {dir_.string()}), 0);
  }
  static fs::path dir_;
};
fs::path SortedPairs::dir_;

TEST_F(SortedPairs, EverySampleEqualsTheSpecTranscription) {
  SortedPairsOptions o;
  o.img_size = lagm::data::ImageSize::square(16);
  o.class_names = {"background", "a", "b", "c"};
  SortedPairsDataset ds((dir_ / "test").string(), o);
  ASSERT_EQ(ds.size(), 12u);
  for (size_t k = 0; k < ds.size(); ++k) {
    const auto s = ds.get(k);
    const auto e_img =
        io::read_npy((dir_ / "expected" / (std::to_string(k) + "_img.npy")).string());
    const auto e_lbl =
        io::read_npy((dir_ / "expected" / (std::to_string(k) + "_lbl.npy")).string());
    const auto img_u8 = ((s.image + 1) * 127.5).round().to(torch::kUInt8).permute({1, 2, 0});
    EXPECT_TRUE(torch::equal(img_u8, e_img)) << k;
    EXPECT_TRUE(torch::equal(s.label, e_lbl)) << k;
  }
  EXPECT_EQ(ds.ids()[2], "image_10");  // lexicographic, not numeric
}

TEST_F(SortedPairs, OpensFromAFolderPathWithTheModelsClassCount) {
  auto ds = open_dataset((dir_ / "test").string(), "--data", false, 4);
  EXPECT_EQ(ds->size(), 12u);
  EXPECT_EQ(ds->num_classes(), 4);
  try {
    open_dataset((dir_ / "test").string(), "--data");
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("classes"), std::string::npos) << e.what();
  }
  auto named = open_dataset(
      {{"class_name", "SortedPairs"}, {"path", (dir_ / "test").string()}, {"classes", "dg_car_20"}},
      "spec");
  EXPECT_EQ(named->class_names()[3], "car_body");
  // Too few classes for the labels: the label file is named.
  auto small = open_dataset((dir_ / "test").string(), "--data", false, 2);
  try {
    small->get(0);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("image_mask0.npy: class index 3 out of range"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(SortedPairs, UnpairedFilesAreAnError) {
  const auto d = lagm::test::fresh_temp_dir("unpaired");
  fs::copy(dir_ / "test", d, fs::copy_options::recursive);
  fs::remove(d / "image_mask7.npy");
  try {
    open_dataset(d.string(), "--data", false, 4);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("12 images but 11 .npy labels"), std::string::npos)
        << e.what();
  }
}

// --skip-bad on a loader that finds problems only when reading: an unreadable label and one with an
// out-of-range class are left out, counted, and the rest keep their order.
TEST_F(SortedPairs, SkipBadLeavesOutSamplesThatFailToLoad) {
  const auto d = lagm::test::fresh_temp_dir("skip_bad");
  fs::copy(dir_ / "test", d, fs::copy_options::recursive);
  std::ofstream(d / "image_mask1.npy") << "not an array";
  ASSERT_EQ(
      lagm::test::run_python_file("data_reference", {"npy-poke", (d / "image_mask2.npy").string()}),
      0);
  EXPECT_THROW(open_dataset(d.string(), "--data", false, 4)->get(1), InputError);
  auto ds = open_dataset(d.string(), "--data", true, 4);
  EXPECT_EQ(ds->size(), 10u);
  EXPECT_EQ(ds->skipped(), 2u);
  EXPECT_EQ(ds->ids()[0], "image_0");
  EXPECT_EQ(ds->ids()[1],
            "image_10");  // name order: image_0, image_1 (bad), image_10, image_11, image_2 (bad)
  EXPECT_EQ(ds->ids()[3], "image_3");
  EXPECT_EQ(ds->get(3).id, "image_3");
}

}  // namespace
}  // namespace lagm::data

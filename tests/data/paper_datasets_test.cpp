// The paper's loaders on small fixture trees in each real on-disk layout. A Python script (PIL +
// NumPy, written from the spec's rules) builds the trees and the expected loader outputs; the C++
// loaders must reproduce them exactly.
#include "lagm/data/paper_datasets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/dataset_spec.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/npy.h"
#include "test_support.h"

namespace lagm::data {
namespace {

namespace fs = std::filesystem;

class PaperDatasets : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = lagm::test::fresh_temp_dir("paper_datasets");
    ASSERT_EQ(lagm::test::run_python_file("paper_datasets_fixture", {dir_.string()}), 0);
  }
  static std::string d(const std::string& rel) { return (dir_ / rel).string(); }
  static void expect_sample(const Sample& s, const std::string& name) {
    const auto img = io::read_npy(d("expected/" + name + "_img.npy"));
    const auto lbl = io::read_npy(d("expected/" + name + "_lbl.npy"));
    const auto got =
        ((s.image + 1) * 127.5).round().clamp(0, 255).to(torch::kUInt8).permute({1, 2, 0});
    ASSERT_EQ(got.sizes(), img.sizes()) << name;
    EXPECT_TRUE(torch::equal(got, img.to(torch::kUInt8))) << name << ": image differs";
    ASSERT_EQ(s.label.sizes(), lbl.sizes()) << name;
    EXPECT_TRUE(torch::equal(s.label, lbl.to(torch::kInt64))) << name << ": label differs";
  }
  static fs::path dir_;
};
fs::path PaperDatasets::dir_;

TEST_F(PaperDatasets, CelebAMaskBuildsTheMaskFromPartFilesAndRemaps) {
  CelebAMaskOptions o;
  o.img_size = lagm::data::ImageSize::square(40);
  o.limit = 2;
  CelebAMaskDataset ds(d("celeba"), o);
  EXPECT_EQ(ds.ids(), (std::vector<std::string>{"28000", "28001"}));
  expect_sample(ds.get(0), "celeba_28000");
  expect_sample(ds.get(1), "celeba_28001");  // no part files: all background
  EXPECT_EQ(CelebAMaskDataset::builtin_split("val").front(), 27500);
  EXPECT_EQ(CelebAMaskDataset::builtin_split("test").back(), 29999);
  EXPECT_EQ(CelebAMaskDataset::builtin_split("train").size(), 1500u);
  // The shipped split files equal the built-in lists.
  for (const char* split : {"train", "val", "test"}) {
    std::ifstream in(std::string(LAGM_SOURCE_DIR) + "/configs/celeba_split/" + split + ".txt");
    std::vector<int64_t> ids;
    for (int64_t v; in >> v;) ids.push_back(v);
    EXPECT_EQ(ids, CelebAMaskDataset::builtin_split(split)) << split;
  }
  // A listed id without an image names the file.
  CelebAMaskOptions all;
  all.limit = 4;
  CelebAMaskDataset four(d("celeba"), all);
  try {
    four.get(3);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("28003.jpg"));
  }
}

TEST_F(PaperDatasets, DatasetGANSortsNumericallyCleansSmallClassesAndSlices) {
  DatasetGANOptions o;
  o.img_size = lagm::data::ImageSize::square(32);
  DatasetGANDataset ds(d("dg"), o);
  EXPECT_EQ(ds.ids(), (std::vector<std::string>{"image_1", "image_2", "image_10"}));
  for (size_t k = 0; k < 3; ++k) expect_sample(ds.get(k), "dg_" + std::to_string(k));
  o.max_size = 2;
  EXPECT_EQ(DatasetGANDataset(d("dg"), o).size(), 2u);
  o.id_range = std::make_pair<int64_t, int64_t>(1, 3);
  EXPECT_EQ(DatasetGANDataset(d("dg"), o).ids(), (std::vector<std::string>{"image_2", "image_10"}));
  EXPECT_EQ(DatasetGANDataset::label_sort_key("image_mask12"), 12);
  EXPECT_EQ(DatasetGANDataset::image_sort_key("car_image_7"), 7);
  EXPECT_THROW(DatasetGANDataset::label_sort_key("mask_x"), InputError);
}

TEST_F(PaperDatasets, PascalPartReadsSplitListsAndTestFolders) {
  PascalPartOptions o;
  o.img_size = lagm::data::ImageSize::square(32);
  PascalPartDataset train(d("pascal_part/horse/train"), o);
  EXPECT_EQ(train.ids(),
            (std::vector<std::string>{"2008_000002_1", "2008_000001_0"}));  // list order
  EXPECT_EQ(train.class_names()[3], "legs");
  expect_sample(train.get(0), "pascal_2008_000002_1");
  o.split = "test";
  o.max_size = 2;
  PascalPartDataset test(d("pascal_part/horse/train"), o);
  EXPECT_EQ(test.ids(),
            (std::vector<std::string>{"2008_000001_0", "2008_000002_1"}));  // sorted, first 2
  expect_sample(test.get(0), "pascal_2008_000001_0");
}

TEST_F(PaperDatasets, CGPartShufflesLikeNumPyAndRemaps) {
  CGPartOptions o;
  o.width = 16, o.height = 12, o.length = 4, o.models = {"minivan", "suv"};
  CGPartDataset ds(d("cgpart"), o);
  ASSERT_EQ(ds.size(), 4u);
  for (size_t j = 0; j < 4; ++j) {
    EXPECT_EQ(ds.ids()[j], core::read_file(d("expected/cgpart_" + std::to_string(j) + "_id.txt")));
    expect_sample(ds.get(j), "cgpart_" + std::to_string(j));
  }
  CGPartRealDataset real(d("cgpart_real"), CGPartRealOptions{"val", 15, 0});
  expect_sample(real.get(0), "cgreal_n1");  // 40x30 -> 20x15
  expect_sample(real.get(1), "cgreal_n2");  // 30x44 -> 15x22
}

TEST_F(PaperDatasets, ReferenceKwargsOpenTheSameLoaders) {
  const auto ds = open_dataset({{"class_name", "datasets.DatasetGANDataset"},
                                {"rootdir", d("dg")},
                                {"obj", "car"},
                                {"split", "train"},
                                {"img_size", 32},
                                {"max_size", 16}},
                               "spec");
  EXPECT_EQ(ds->size(), 3u);
  expect_sample(ds->get(2), "dg_2");
  const auto cel = open_dataset({{"class_name", "CelebAMaskDataset"},
                                 {"rootdir", d("celeba")},
                                 {"split", "train"},
                                 {"img_size", 40},
                                 {"limit_size", 2},
                                 {"aug", false},
                                 {"imageset_folder", "celeba_split"}},
                                "spec");
  expect_sample(cel->get(0), "celeba_28000");
  try {
    open_dataset({{"class_name", "CelebAMaskDataset"}, {"rootdir", d("celeba")}, {"aug", true}},
                 "cfg.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cfg.json.aug"));
  }
  EXPECT_THROW(
      open_dataset({{"class_name", "PascalPart"}, {"rootdir", d("x")}, {"colour", 1}}, "s"),
      InputError);
  EXPECT_THROW(open_dataset({{"class_name", "Imagenet"}}, "s"), InputError);
}

// The reference's loaders resize with PIL's resize((w, h)): a non-square img_size is [width,
// height].
TEST_F(PaperDatasets, NonSquareImgSizeIsWidthThenHeight) {
  const auto cel = open_dataset({{"class_name", "CelebAMaskDataset"},
                                 {"rootdir", d("celeba")},
                                 {"img_size", {48, 32}},
                                 {"limit_size", 1}},
                                "spec");
  ASSERT_EQ(cel->get(0).label.sizes(), (std::vector<int64_t>{32, 48}));
  expect_sample(cel->get(0), "celeba_28000_48x32");
  const auto dg = open_dataset(
      {{"class_name", "DatasetGANDataset"}, {"rootdir", d("dg")}, {"img_size", {40, 24}}}, "spec");
  expect_sample(dg->get(0), "dg_0_40x24");
  const auto pascal = open_dataset({{"class_name", "PascalPart"},
                                    {"rootdir", d("pascal_part/horse/train")},
                                    {"img_size", {36, 20}}},
                                   "spec");
  expect_sample(pascal->get(0), "pascal_2008_000002_1_36x20");
  for (const nlohmann::json& bad :
       {nlohmann::json{48, 0}, nlohmann::json{48}, nlohmann::json(-1), nlohmann::json("48")}) {
    try {
      open_dataset(
          {{"class_name", "CelebAMaskDataset"}, {"rootdir", d("celeba")}, {"img_size", bad}},
          "cfg.json");
      ADD_FAILURE() << bad.dump() << " accepted";
    } catch (const InputError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("cfg.json.img_size")) << bad.dump();
    }
  }
}

TEST_F(PaperDatasets, DataExportWritesWhatTheLoaderReturns) {
  const std::string out = d("export_dg");
  const std::string spec =
      R"({"class_name": "DatasetGANDataset", "rootdir": ")" + d("dg") + R"(", "img_size": 32})";
  auto [code, msg] = lagm::test::run_command(std::string(LAGM_BINARY) + " data-export --data '" +
                                             spec + "' --out " + out);
  ASSERT_EQ(code, 0) << msg;
  EXPECT_THAT(msg, ::testing::HasSubstr("3 samples, 20 classes"));
  FolderDataset exported(out);
  ASSERT_EQ(exported.size(), 3u);
  EXPECT_EQ(exported.class_names()[19], "windshield");
  // Folder order is by name (image_1, image_10, image_2); each equals the loader's sample.
  EXPECT_EQ(exported.ids()[1], "image_10");
  expect_sample(exported.get(1), "dg_2");
  // Bad data: a missing label file is named; --skip-bad goes on with a count.
  fs::remove(d("export_dg/seg/image_2.png"));
  std::tie(code, msg) = lagm::test::run_command(std::string(LAGM_BINARY) + " data-export --data " +
                                                out + " --out " + d("export2"));
  EXPECT_EQ(code, 2);
  EXPECT_THAT(msg, ::testing::HasSubstr("image_2.png"));
  std::tie(code, msg) =
      lagm::test::run_command(std::string(LAGM_BINARY) + " data-export --skip-bad --data " + out +
                              " --out " + d("export3"));
  EXPECT_EQ(code, 0) << msg;
  EXPECT_THAT(msg, ::testing::HasSubstr("2 samples, 20 classes, 1 skipped"));
}

}  // namespace
}  // namespace lagm::data

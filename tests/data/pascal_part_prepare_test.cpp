// lagm prepare-pascal-part on a fixture VOC2010 + PASCAL-Part tree. A Python script (SciPy writes
// the MAT v5 files, compressed and not; PIL writes JPEGs) builds the tree and, from the reference's
// rules, the expected crops; the C++ preparation must reproduce every pixel, every crop name and
// both split lists.
#include "lagm/data/pascal_part_prepare.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/data/pascal_part_annotation.h"
#include "lagm/io/image.h"
#include "lagm/io/npy.h"
#include "test_support.h"

namespace lagm::data {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> stems_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

class PascalPartPrepare : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = lagm::test::fresh_temp_dir("pascal_part_prepare");
    ASSERT_EQ(lagm::test::run_python_file("pascal_part_fixture", {dir_.string()}), 0);
    PascalPartPrepareOptions o;
    o.voc = (dir_ / "VOC2010").string();
    o.out = (dir_ / "prepared").string();
    o.obj = "horse";
    reports_ = prepare_pascal_part(o);
    std::ifstream in(dir_ / "expected" / "summary.json");
    in >> summary_;
  }
  static fs::path dir_;
  static std::vector<PascalPartSplitReport> reports_;
  static nlohmann::json summary_;
};
fs::path PascalPartPrepare::dir_;
std::vector<PascalPartSplitReport> PascalPartPrepare::reports_;
nlohmann::json PascalPartPrepare::summary_;

TEST_F(PascalPartPrepare, PartMapsMatchTheSpecForEveryPositiveImage) {
  const auto seg_dir = dir_ / "prepared" / "horse" / "train" / "SegmentationPart";
  const auto stems = stems_in(seg_dir);
  // 4 special images with a horse + 40 strips; 2008_000005 (no horse) and the -1/0 entries are
  // absent.
  ASSERT_EQ(stems.size(), 44u);
  for (const auto& s : stems) {
    const auto expected = io::read_npy((dir_ / "expected" / ("train_seg_" + s + ".npy")).string());
    EXPECT_TRUE(torch::equal(io::read_mask_png((seg_dir / (s + ".png")).string()), expected)) << s;
    EXPECT_TRUE(fs::exists(dir_ / "prepared" / "horse" / "train" / "Annotations" / (s + ".xml")));
  }
  EXPECT_EQ(stems_in(dir_ / "prepared" / "horse" / "test" / "SegmentationPart"),
            std::vector<std::string>{"2010_000001"});
}

TEST_F(PascalPartPrepare, CropsMatchPixelForPixel) {
  for (const std::string split : {"train", "test"}) {
    const auto expected = summary_[split].get<std::vector<std::string>>();
    const auto root = dir_ / "prepared" / "horse" / split;
    ASSERT_EQ(stems_in(root / "CroppedImages"), expected) << split;
    ASSERT_EQ(stems_in(root / "CroppedSegmentation"), expected) << split;
    for (const auto& c : expected) {
      const auto e_img =
          io::read_npy((dir_ / "expected" / (split + "_crop_img_" + c + ".npy")).string());
      const auto e_seg =
          io::read_npy((dir_ / "expected" / (split + "_crop_seg_" + c + ".npy")).string());
      EXPECT_TRUE(
          torch::equal(io::read_image((root / "CroppedImages" / (c + ".png")).string()), e_img))
          << c;
      EXPECT_TRUE(torch::equal(
          io::read_mask_png((root / "CroppedSegmentation" / (c + ".png")).string()), e_seg))
          << c;
    }
  }
}

TEST_F(PascalPartPrepare, FiltersFollowTheReferenceRules) {
  const auto crops = summary_["train"].get<std::vector<std::string>>();
  auto has = [&](const std::string& c) {
    return std::find(crops.begin(), crops.end(), c) != crops.end();
  };
  EXPECT_TRUE(has("2008_000001_0"));
  // Overlap 4.3 % of the enclosing box: both kept; the small horse (index 1) is not, yet numbers
  // stay.
  EXPECT_TRUE(has("2008_000002_0"));
  EXPECT_FALSE(has("2008_000002_1"));
  EXPECT_TRUE(has("2008_000002_2"));
  EXPECT_FALSE(has("2008_000003_0"));  // heavy overlap
  EXPECT_FALSE(has("2008_000003_1"));
  EXPECT_TRUE(has("2008_000003_2"));   // clipped square, padded
  EXPECT_FALSE(has("2008_000004_0"));  // no parts
  EXPECT_FALSE(has("2008_000004_1"));  // under 1 %
  ASSERT_EQ(reports_.size(), 2u);
  EXPECT_EQ(reports_[0].split, "train");
  EXPECT_EQ(reports_[0].crops, static_cast<int64_t>(crops.size()));
  EXPECT_EQ(reports_[0].discarded_overlap, 2);
  EXPECT_EQ(reports_[0].discarded_small, 1);
  EXPECT_EQ(reports_[0].discarded_empty, 2);
  EXPECT_EQ(reports_[1].split, "test");
  EXPECT_EQ(reports_[1].crops, 1);
}

TEST_F(PascalPartPrepare, FirstHundredEightyTrainCropsFormTheTrainList) {
  const auto crops = summary_["train"].get<std::vector<std::string>>();
  ASSERT_GT(crops.size(), 180u);
  const auto root = dir_ / "prepared" / "horse" / "train";
  EXPECT_EQ(lines_of(root / "train_set.txt"),
            std::vector<std::string>(crops.begin(), crops.begin() + 180));
  EXPECT_EQ(lines_of(root / "val_set.txt"),
            std::vector<std::string>(crops.begin() + 180, crops.end()));
  // The prepared tree is what the loader reads.
  PascalPartOptions lo;
  lo.split = "val";
  lo.img_size = lagm::data::ImageSize::square(64);
  PascalPartDataset val(root.string(), lo);
  EXPECT_EQ(val.size(), crops.size() - 180);
  EXPECT_EQ(val.get(0).id, crops[180]);
  lo.split = "test";
  PascalPartDataset test((dir_ / "prepared" / "horse" / "test").string(), lo);
  EXPECT_EQ(test.size(), 1u);
}

TEST_F(PascalPartPrepare, StatsFilesDescribeTheOutput) {
  nlohmann::json stats, cropped;
  std::ifstream(dir_ / "prepared" / "horse" / "train" / "stats.json") >> stats;
  std::ifstream(dir_ / "prepared" / "horse" / "train" / "cropped_stats.json") >> cropped;
  EXPECT_EQ(stats["indexs"].size(), 44u);
  EXPECT_EQ(stats["part_class"][0][0].size(), 6u);  // the loader's num_class
  EXPECT_EQ(stats["single_class"][0], false);       // 2008_000001 has a person
  EXPECT_EQ(cropped["indexs"].get<std::vector<std::string>>(),
            summary_["train"].get<std::vector<std::string>>());
}

TEST(PascalPartTables, EveryPartNameMapsToItsCompactClass) {
  for (const char* p : {"head", "leye", "reye", "lear", "rear", "muzzle"})
    EXPECT_EQ(part_id("horse", p), 1) << p;
  EXPECT_EQ(part_id("horse", "torso"), 2);
  for (const char* p : {"lfuleg", "lflleg", "rfuleg", "rflleg", "lbuleg", "lblleg", "rbuleg",
                        "rblleg", "lfho", "rfho", "lbho", "rbho"})
    EXPECT_EQ(part_id("horse", p), 3) << p;
  EXPECT_EQ(part_id("horse", "neck"), 4);
  EXPECT_EQ(part_id("horse", "tail"), 5);
  EXPECT_EQ(part_id("horse", "lhorn"), -1);  // a cow part
  EXPECT_EQ(part_id("aeroplane", "body"), 1);
  EXPECT_EQ(part_id("aeroplane", "stern"), 2);
  EXPECT_EQ(part_id("aeroplane", "tail"), 2);
  EXPECT_EQ(part_id("aeroplane", "lwing"), 3);
  EXPECT_EQ(part_id("aeroplane", "rwing"), 3);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(part_id("aeroplane", "engine_" + std::to_string(i)), 4) << i;
    EXPECT_EQ(part_id("aeroplane", "wheel_" + std::to_string(i)), 5) << i;
  }
  EXPECT_EQ(part_id("aeroplane", "engine_30"), -1);
  EXPECT_EQ(part_id("aeroplane", "wheel_01"), -1);
  EXPECT_EQ(part_id("aeroplane", "engine"), -1);
  EXPECT_EQ(part_class_count("horse"), 6);
  EXPECT_EQ(part_class_count("aeroplane"), 6);
  EXPECT_THROW(part_id("cow", "head"), UsageError);
}

TEST(PascalPartGeometry, SquareBoxClampsTheCentreAndClipsToTheImage) {
  // Interior: the square of side max(w, h) around the centre.
  EXPECT_EQ(square_box({"horse", 11, 21, 40, 30}, 100, 100), (PixelBox{10, 10, 40, 40}));
  // Near the left edge the centre does not move: the reference clamps it with the box's own
  // half-width, not the square's, so the square is clipped (and the crop padded later).
  EXPECT_EQ(square_box({"horse", 1, 41, 10, 70}, 100, 100), (PixelBox{0, 40, 20, 70}));
  // Wider than the image is tall: centred vertically, clipped to the image.
  EXPECT_EQ(square_box({"horse", 1, 1, 80, 20}, 20, 100), (PixelBox{0, 0, 80, 20}));
  // Odd side: halves truncate.
  EXPECT_EQ(square_box({"horse", 2, 2, 4, 6}, 10, 10), (PixelBox{0, 1, 5, 6}));
}

TEST(PascalPartGeometry, OverlapIsIntersectionOverTheEnclosingBox) {
  const std::vector<VocObject> boxes = {
      {"h", 1, 1, 100, 100}, {"h", 66, 66, 165, 165}, {"h", 300, 300, 310, 310}};
  const auto m = mutual_box_overlap(boxes);
  EXPECT_DOUBLE_EQ(m[0], 0.0);
  EXPECT_NEAR(m[1], 34.0 * 34.0 / (164.0 * 164.0), 1e-12);
  EXPECT_DOUBLE_EQ(m[1], m[3]);
  EXPECT_DOUBLE_EQ(m[2], 0.0);
}

TEST(PascalPartAnnotation, MissingOrForeignFilesNameTheFile) {
  const auto dir = lagm::test::fresh_temp_dir("pascal_part_bad_mat");
  try {
    read_pascal_part_annotation((dir / "nope.mat").string());
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.mat: no such file"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "junk.mat") << "this is not a MAT file at all, just some words";
  EXPECT_THROW(read_pascal_part_annotation((dir / "junk.mat").string()), InputError);
  ASSERT_EQ(lagm::test::run_python_file("data_reference",
                                        {"mat-without-anno", (dir / "other.mat").string()}),
            0);
  try {
    read_pascal_part_annotation((dir / "other.mat").string());
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("other.mat: no variable 'anno'"), std::string::npos)
        << e.what();
  }
}

// Found by fuzzing (fuzz/regressions/) when matio read these files: a struct whose field-name table
// is corrupt crashed matio's lookup by name; it is an InputError naming the file.
TEST(PascalPartAnnotation, CorruptStructFromFuzzingIsAnInputError) {
  const std::string path =
      std::string(LAGM_SOURCE_DIR) + "/fuzz/regressions/pascal_part_mat/corrupt_field_names.mat";
  try {
    read_pascal_part_annotation(path);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

// Found by fuzzing when matio read these files: 349 bytes whose compressed struct declares billions
// of elements made matio allocate 24 GB (or loop for minutes); the reader refuses it before it
// allocates, while a valid compressed annotation (as PASCAL-Part ships them) still reads.
TEST(PascalPartAnnotation, DeclaredSizesAreCheckedBeforeAnythingIsAllocated) {
  const std::string path =
      std::string(LAGM_SOURCE_DIR) + "/fuzz/regressions/pascal_part_mat/huge_struct_array.mat";
  try {
    read_pascal_part_annotation(path);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": corrupt or unsupported MAT file"),
              std::string::npos)
        << e.what();
  }
  const auto dir = lagm::test::fresh_temp_dir("pascal_part_compressed_mat");
  const std::string good = (dir / "good.mat").string();
  ASSERT_EQ(lagm::test::run_python_file("data_reference", {"mat-horse", good}), 0);
  const auto anno = read_pascal_part_annotation(good);
  ASSERT_EQ(anno.objects.size(), 1u);
  ASSERT_EQ(anno.objects[0].parts.size(), 2u);
  EXPECT_EQ(anno.objects[0].parts[1].first, "tail");
  // Truncating the valid file anywhere after its header is refused with the file named, never a
  // crash.
  const std::string bytes = lagm::core::read_file(good);
  for (size_t cut : {size_t{130}, bytes.size() / 2, bytes.size() - 3}) {
    const std::string truncated = (dir / ("cut" + std::to_string(cut) + ".mat")).string();
    std::ofstream(truncated, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(cut));
    try {
      read_pascal_part_annotation(truncated);
      ADD_FAILURE() << "a file cut at " << cut << " was read";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(truncated), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace lagm::data

namespace lagm::data {
namespace {

// The CLI on a tree whose only horse has a cow's part: exit 2, one line naming the .mat file.
TEST(PascalPartPrepareCli, UnknownPartNamesTheFileAndExitsWithTwo) {
  const auto dir = lagm::test::fresh_temp_dir("pascal_part_cli");
  ASSERT_EQ(lagm::test::run_python_file("pascal_part_unknown_part", {dir.string()}), 0);
  const auto [code, output] = lagm::test::run_command(
      std::string(LAGM_BINARY) + " prepare-pascal-part --voc " + (dir / "VOC").string() +
      " --obj horse --out " + (dir / "out").string() + " 2>&1");
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("a.mat: part 'lhorn' is not in the horse part table"), std::string::npos)
      << output;
}

}  // namespace
}  // namespace lagm::data

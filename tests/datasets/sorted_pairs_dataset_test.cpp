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

const char* kPairsBuilder = R"PY(
import os
import numpy as np
from PIL import Image
rng = np.random.RandomState(3)
T = f'{OUT}/test'; E = f'{OUT}/expected'
os.makedirs(T); os.makedirs(E)
# 12 pairs: lexicographic order puts image_10, image_11 after image_1.
for i in range(12):
    img = rng.randint(0, 256, (20, 24, 3)).astype(np.uint8)
    if i == 4: Image.fromarray(img).save(f'{T}/image_{i}.jpg', quality=92)
    elif i == 5: Image.fromarray(np.concatenate([img, np.full((20, 24, 1), 7, np.uint8)], 2)).save(f'{T}/image_{i}.png')
    else: Image.fromarray(img).save(f'{T}/image_{i}.png')
    lbl = rng.randint(0, 4, (20, 24))
    lbl[0:3, 0:2] = 1                   # 6 pixels: DatasetGAN would clean this up; test_seg does not
    if i == 3: np.save(f'{T}/image_mask{i}.npy', np.stack([lbl, np.full_like(lbl, 2)], 2).astype(np.float32))
    elif i == 6: np.save(f'{T}/image_mask{i}.npy', (lbl + 256).astype(np.int64))   # astype(uint8) wraps
    else: np.save(f'{T}/image_mask{i}.npy', lbl.astype(np.int64))
images = sorted(f for f in os.listdir(T) if 'npy' not in f)
labels = sorted(f for f in os.listdir(T) if 'npy' in f)
for k, (a, b) in enumerate(zip(images, labels)):
    im = Image.open(f'{T}/{a}').convert('RGB').resize((16, 16))
    l = np.load(f'{T}/{b}')
    if l.ndim == 3: l = l[:, :, 0]
    l = Image.fromarray(l.astype('uint8')).resize((16, 16), Image.NEAREST)
    np.save(f'{E}/{k}_img.npy', np.asarray(im)); np.save(f'{E}/{k}_lbl.npy', np.asarray(l).astype(np.int64))
    open(f'{E}/{k}.id', 'w').write(os.path.splitext(a)[0])
)PY";

class SortedPairs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = lagm::test::fresh_temp_dir("sorted_pairs");
    ASSERT_EQ(lagm::test::run_python("OUT = '" + dir_.string() + "'\n" + kPairsBuilder), 0);
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
    const auto e_img = io::read_npy((dir_ / "expected" / (std::to_string(k) + "_img.npy")).string());
    const auto e_lbl = io::read_npy((dir_ / "expected" / (std::to_string(k) + "_lbl.npy")).string());
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
  auto named = open_dataset({{"class_name", "SortedPairs"}, {"path", (dir_ / "test").string()}, {"classes", "dg_car_20"}},
                            "spec");
  EXPECT_EQ(named->class_names()[3], "car_body");
  // Too few classes for the labels: the label file is named.
  auto small = open_dataset((dir_ / "test").string(), "--data", false, 2);
  try {
    small->get(0);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("image_mask0.npy: class index 3 out of range"), std::string::npos) << e.what();
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
    EXPECT_NE(std::string(e.what()).find("12 images but 11 .npy labels"), std::string::npos) << e.what();
  }
}

// --skip-bad on a loader that finds problems only when reading: an unreadable label and one with an
// out-of-range class are left out, counted, and the rest keep their order.
TEST_F(SortedPairs, SkipBadLeavesOutSamplesThatFailToLoad) {
  const auto d = lagm::test::fresh_temp_dir("skip_bad");
  fs::copy(dir_ / "test", d, fs::copy_options::recursive);
  std::ofstream(d / "image_mask1.npy") << "not an array";
  ASSERT_EQ(lagm::test::run_python("import numpy as np\np = '" + (d / "image_mask2.npy").string() +
                                   "'\na = np.load(p); a[0, 0] = 9; np.save(p, a)\n"),
            0);
  EXPECT_THROW(open_dataset(d.string(), "--data", false, 4)->get(1), InputError);
  auto ds = open_dataset(d.string(), "--data", true, 4);
  EXPECT_EQ(ds->size(), 10u);
  EXPECT_EQ(ds->skipped(), 2u);
  EXPECT_EQ(ds->ids()[0], "image_0");
  EXPECT_EQ(ds->ids()[1], "image_10");  // name order: image_0, image_1 (bad), image_10, image_11, image_2 (bad)
  EXPECT_EQ(ds->ids()[3], "image_3");
  EXPECT_EQ(ds->get(3).id, "image_3");
}

}  // namespace
}  // namespace lagm::data

// lagm prepare-pascal-part on a fixture VOC2010 + PASCAL-Part tree. A Python script (SciPy writes
// the MAT v5 files, compressed and not; PIL writes JPEGs) builds the tree and, from the reference's rules,
// the expected crops; the C++ preparation must reproduce every pixel, every
// crop name and both split lists.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/paper_datasets.h"
#include "lagm/data/pascal_part_annotation.h"
#include "lagm/data/pascal_part_prepare.h"
#include "lagm/io/image.h"
#include "lagm/io/npy.h"
#include "test_support.h"

namespace lagm::data {
namespace {

namespace fs = std::filesystem;

const char* kVocFixtureBuilder = R"PY(
import json, os
import numpy as np
from PIL import Image
from scipy.io import savemat
rng = np.random.RandomState(7)
V = f'{OUT}/VOC2010'
for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main', 'part_segmentation/Annotations_Part'):
    os.makedirs(f'{V}/{sub}', exist_ok=True)

def struct_array(rows, fields):
    a = np.zeros((1, len(rows)), dtype=[(f, 'O') for f in fields])
    for i, r in enumerate(rows):
        for f in fields: a[0, i][f] = r[f]
    return a

# An image: size, and objects (class, box (1-based inclusive), parts [(name, rect)], silhouette-only?).
# Part rects are (y0, y1, x0, x1) 0-based half-open, always inside the object's box.
def make_image(name, h, w, objects, compress):
    img = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
    Image.fromarray(img).save(f'{V}/JPEGImages/{name}.jpg', quality=90)
    mat_objects, xml = [], ''
    for cls, (x1, y1, x2, y2), parts in objects:
        sil = np.zeros((h, w), np.uint8); sil[y1 - 1:y2, x1 - 1:x2] = 1
        prows = []
        for pname, (a, b, c, d) in parts:
            m = np.zeros((h, w), np.uint8); m[a:b, c:d] = 1; prows.append({'part_name': pname, 'mask': m})
        mat_objects.append({'class': cls, 'class_ind': np.array([[13 if cls == 'horse' else 15]], np.uint8),
                            'mask': sil,
                            'parts': struct_array(prows, ['part_name', 'mask']) if prows else np.zeros((0, 0))})
        xml += (f'<object><name>{cls}</name><pose>Left</pose><truncated>0</truncated><difficult>0</difficult>'
                f'<bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>')
    with open(f'{V}/Annotations/{name}.xml', 'w') as f:
        f.write(f'<annotation><filename>{name}.jpg</filename><size><width>{w}</width><height>{h}</height>'
                f'<depth>3</depth></size>{xml}</annotation>')
    anno = {'imname': name, 'objects': struct_array(mat_objects, ['class', 'class_ind', 'mask', 'parts'])}
    savemat(f'{V}/part_segmentation/Annotations_Part/{name}.mat', {'anno': anno}, do_compression=compress)

train, val = [], []
# 1: one horse with overlapping parts (the later part wins), a person, a negative list entry.
make_image('2008_000001', 120, 160, [
    ('person', (5, 5, 40, 60), [('head', (4, 10, 4, 10))]),
    ('horse', (50, 20, 140, 100), [('torso', (30, 80, 60, 120)), ('lfuleg', (60, 99, 70, 90)), ('head', (19, 40, 49, 70)),
                                   ('tail', (50, 70, 125, 140)), ('neck', (40, 60, 60, 80))])], True)
# 2: two horses whose overlap is 4.3 % of the enclosing box (kept) though their IoU is 6.5 %, and a
#    horse below --min-box-side (discarded but still counted in the crop index).
make_image('2008_000002', 180, 180, [
    ('horse', (1, 1, 100, 100), [('lbuleg', (0, 100, 0, 100))]),
    ('horse', (160, 160, 175, 175), [('rear', (159, 175, 159, 175))]),
    ('horse', (66, 66, 165, 165), [('muzzle', (120, 165, 120, 165))])], False)
# 3: two horses with heavy overlap (both discarded) and one next to the border, wider than the image
#    is tall (the square is clipped, then padded).
make_image('2008_000003', 60, 200, [
    ('horse', (10, 5, 60, 50), [('torso', (5, 50, 10, 60))]),
    ('horse', (20, 10, 70, 55), [('torso', (10, 55, 20, 70))]),
    ('horse', (120, 20, 199, 58), [('rbho', (40, 58, 150, 199))])], True)
# 4: a silhouette-only horse and a horse with a tiny part: both under the 1 % rule.
make_image('2008_000004', 100, 100, [
    ('horse', (5, 5, 45, 45), []),
    ('horse', (55, 55, 95, 95), [('tail', (60, 62, 60, 63))])], False)
# 5: listed as positive, but annotated without any horse: no output at all.
make_image('2008_000005', 50, 50, [('person', (5, 5, 40, 40), [('head', (5, 10, 5, 10))])], True)
for k in range(1, 6): train.append(f'2008_00000{k}  1')
train += ['2008_000006 -1', '2008_000007  0']
# Many small single-horse images so the train crops pass 180 (the first 180 sorted -> train_set.txt).
for k in range(40):
    name = f'2009_{k:06d}'
    objs = [('horse', (1 + 40 * j, 1, 36 + 40 * j, 36), [('torso', (2, 30, 40 * j + 2, 40 * j + 30))]) for j in range(5)]
    make_image(name, 40, 200, objs, k % 2 == 0)
    train.append(f'{name}  1')
# VOC val -> test.
make_image('2010_000001', 80, 90, [('horse', (10, 10, 80, 70), [('neck', (20, 50, 20, 60)), ('lfho', (60, 70, 40, 60))])], True)
val += ['2010_000001  1', '2010_000002 -1']
with open(f'{V}/ImageSets/Main/horse_train.txt', 'w') as f: f.write('\n'.join(train) + '\n')
with open(f'{V}/ImageSets/Main/horse_val.txt', 'w') as f: f.write('\n'.join(val) + '\n')

# ---- expected output, from the spec's rules -------------------------------------------------
HORSE = dict(head=1, leye=1, reye=1, lear=1, rear=1, muzzle=1, torso=2, neck=4, tail=5,
             **{p: 3 for p in ('lfuleg', 'lflleg', 'rfuleg', 'rflleg', 'lbuleg', 'lblleg', 'rbuleg', 'rblleg',
                               'lfho', 'rfho', 'lbho', 'rbho')})
E = f'{OUT}/expected'; os.makedirs(E, exist_ok=True)
def positives(split):
    out = []
    for line in open(f'{V}/ImageSets/Main/horse_{split}.txt'):
        t = line.split()
        if t and t[-1] == '1': out.append(t[0])
    return out
def part_map(name):
    from scipy.io import loadmat
    a = loadmat(f'{V}/part_segmentation/Annotations_Part/{name}.mat')['anno'][0, 0]
    objs = a['objects'][0]
    h, w = objs[0]['mask'].shape
    m = np.zeros((h, w), np.uint8); any_horse = False
    for o in objs:
        if o['class'][0] != 'horse': continue
        any_horse = True
        if o['parts'].size == 0: continue
        for p in o['parts'][0]: m[p['mask'].astype(bool)] = HORSE[p['part_name'][0]]
    return m if any_horse else None
def boxes_of(name):
    import xml.etree.ElementTree as ET
    r = ET.parse(f'{V}/Annotations/{name}.xml').getroot()
    return [[int(o.find('bndbox').find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
            for o in r.findall('object') if o.find('name').text == 'horse']
def overlap(a, b):  # intersection over the enclosing box, raw coordinates
    iw = max(min(a[2], b[2]) - max(a[0], b[0]), 0); ih = max(min(a[3], b[3]) - max(a[1], b[1]), 0)
    ew = max(max(a[2], b[2]) - min(a[0], b[0]), 0); eh = max(max(a[3], b[3]) - min(a[1], b[1]), 0)
    return iw * ih / (ew * eh + 1e-8)
def square(b, H, W):
    x1, y1, x2, y2 = b[0] - 1, b[1] - 1, b[2], b[3]
    w, h = x2 - x1, y2 - y1; s = max(w, h)
    cx = min(max((x1 + x2) / 2, min(W / 2, w / 2)), max(W / 2, W - w / 2))
    cy = min(max((y1 + y2) / 2, min(H / 2, h / 2)), max(H / 2, H - h / 2))
    c = lambda v, hi: min(max(v, 0), hi)
    return int(c(cx - s / 2, W)), int(c(cy - s / 2, H)), int(c(cx + s / 2, W)), int(c(cy + s / 2, H))
def pad_crop(a, bx):
    x1, y1, x2, y2 = bx; bw, bh = x2 - x1, y2 - y1; s = max(bw, bh)
    out = np.zeros((s, s) + a.shape[2:], np.uint8)
    px, py = (s - bw) // 2, (s - bh) // 2
    out[py:py + bh, px:px + bw] = a[y1:y2, x1:x2]
    return out
summary = {}
for split, dest in (('train', 'train'), ('val', 'test')):
    crops = []
    for name in sorted(positives(split)):
        m = part_map(name)
        if m is None: continue
        np.save(f'{E}/{dest}_seg_{name}.npy', m)
        img = np.asarray(Image.open(f'{V}/JPEGImages/{name}.jpg'))
        bs = boxes_of(name)
        for k, b in enumerate(bs):
            if any(overlap(b, o) > 0.05 for j, o in enumerate(bs) if j != k): continue
            if b[2] - b[0] + 1 < 32 or b[3] - b[1] + 1 < 32: continue
            bx = square(b, *m.shape)
            sc = pad_crop(m, bx)
            if np.mean(sc > 0) < 0.01: continue
            crops.append(f'{name}_{k}')
            np.save(f'{E}/{dest}_crop_img_{name}_{k}.npy', pad_crop(img, bx))
            np.save(f'{E}/{dest}_crop_seg_{name}_{k}.npy', sc)
    summary[dest] = sorted(crops)
json.dump(summary, open(f'{E}/summary.json', 'w'))
)PY";

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

// A build without matio (LAGM_WITH_MATIO=OFF) cannot read .mat files; those tests are skipped there.
#define SKIP_WITHOUT_MATIO() \
  if (!LAGM_HAVE_MATIO) GTEST_SKIP() << "built without matio"

class PascalPartPrepare : public ::testing::Test {
 protected:
  void SetUp() override { SKIP_WITHOUT_MATIO(); }
  static void SetUpTestSuite() {
    if (!LAGM_HAVE_MATIO) return;
    dir_ = lagm::test::fresh_temp_dir("pascal_part_prepare");
    ASSERT_EQ(lagm::test::run_python("OUT = '" + dir_.string() + "'\n" + kVocFixtureBuilder), 0);
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
  // 4 special images with a horse + 40 strips; 2008_000005 (no horse) and the -1/0 entries are absent.
  ASSERT_EQ(stems.size(), 44u);
  for (const auto& s : stems) {
    const auto expected = io::read_npy((dir_ / "expected" / ("train_seg_" + s + ".npy")).string());
    EXPECT_TRUE(torch::equal(io::read_mask_png((seg_dir / (s + ".png")).string()), expected)) << s;
    EXPECT_TRUE(fs::exists(dir_ / "prepared" / "horse" / "train" / "Annotations" / (s + ".xml")));
  }
  EXPECT_EQ(stems_in(dir_ / "prepared" / "horse" / "test" / "SegmentationPart"), std::vector<std::string>{"2010_000001"});
}

TEST_F(PascalPartPrepare, CropsMatchPixelForPixel) {
  for (const std::string split : {"train", "test"}) {
    const auto expected = summary_[split].get<std::vector<std::string>>();
    const auto root = dir_ / "prepared" / "horse" / split;
    ASSERT_EQ(stems_in(root / "CroppedImages"), expected) << split;
    ASSERT_EQ(stems_in(root / "CroppedSegmentation"), expected) << split;
    for (const auto& c : expected) {
      const auto e_img = io::read_npy((dir_ / "expected" / (split + "_crop_img_" + c + ".npy")).string());
      const auto e_seg = io::read_npy((dir_ / "expected" / (split + "_crop_seg_" + c + ".npy")).string());
      EXPECT_TRUE(torch::equal(io::read_image((root / "CroppedImages" / (c + ".png")).string()), e_img)) << c;
      EXPECT_TRUE(torch::equal(io::read_mask_png((root / "CroppedSegmentation" / (c + ".png")).string()), e_seg)) << c;
    }
  }
}

TEST_F(PascalPartPrepare, FiltersFollowTheReferenceRules) {
  const auto crops = summary_["train"].get<std::vector<std::string>>();
  auto has = [&](const std::string& c) { return std::find(crops.begin(), crops.end(), c) != crops.end(); };
  EXPECT_TRUE(has("2008_000001_0"));
  // Overlap 4.3 % of the enclosing box: both kept; the small horse (index 1) is not, yet numbers stay.
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
  EXPECT_EQ(lines_of(root / "train_set.txt"), std::vector<std::string>(crops.begin(), crops.begin() + 180));
  EXPECT_EQ(lines_of(root / "val_set.txt"), std::vector<std::string>(crops.begin() + 180, crops.end()));
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
  EXPECT_EQ(stats["single_class"][0], false);        // 2008_000001 has a person
  EXPECT_EQ(cropped["indexs"].get<std::vector<std::string>>(), summary_["train"].get<std::vector<std::string>>());
}

TEST(PascalPartTables, EveryPartNameMapsToItsCompactClass) {
  for (const char* p : {"head", "leye", "reye", "lear", "rear", "muzzle"}) EXPECT_EQ(part_id("horse", p), 1) << p;
  EXPECT_EQ(part_id("horse", "torso"), 2);
  for (const char* p : {"lfuleg", "lflleg", "rfuleg", "rflleg", "lbuleg", "lblleg", "rbuleg", "rblleg", "lfho", "rfho",
                        "lbho", "rbho"})
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
  const std::vector<VocObject> boxes = {{"h", 1, 1, 100, 100}, {"h", 66, 66, 165, 165}, {"h", 300, 300, 310, 310}};
  const auto m = mutual_box_overlap(boxes);
  EXPECT_DOUBLE_EQ(m[0], 0.0);
  EXPECT_NEAR(m[1], 34.0 * 34.0 / (164.0 * 164.0), 1e-12);
  EXPECT_DOUBLE_EQ(m[1], m[3]);
  EXPECT_DOUBLE_EQ(m[2], 0.0);
}

TEST(PascalPartAnnotation, MissingOrForeignFilesNameTheFile) {
  SKIP_WITHOUT_MATIO();
  const auto dir = lagm::test::fresh_temp_dir("pascal_part_bad_mat");
  try {
    read_pascal_part_annotation((dir / "nope.mat").string());
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.mat: no such file"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "junk.mat") << "this is not a MAT file at all, just some words";
  EXPECT_THROW(read_pascal_part_annotation((dir / "junk.mat").string()), InputError);
  ASSERT_EQ(lagm::test::run_python("from scipy.io import savemat\nimport numpy as np\nsavemat('" + (dir / "other.mat").string() +
                                   "', {'x': np.zeros((2, 2))})\n"), 0);
  try {
    read_pascal_part_annotation((dir / "other.mat").string());
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("other.mat: no variable 'anno'"), std::string::npos) << e.what();
  }
}

// Found by fuzzing (fuzz/regressions/): a struct whose field-name table is corrupt crashed matio's
// lookup by name inside the reader; now it is an InputError naming the file.
TEST(PascalPartAnnotation, CorruptStructFromFuzzingIsAnInputError) {
  SKIP_WITHOUT_MATIO();
  const std::string path = std::string(LAGM_SOURCE_DIR) + "/fuzz/regressions/pascal_part_mat/corrupt_field_names.mat";
  try {
    read_pascal_part_annotation(path);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

// Found by fuzzing: 349 bytes whose compressed struct declares billions of elements made matio
// allocate 24 GB (or loop for minutes); the structure check refuses it before matio runs, while a
// valid compressed annotation (as PASCAL-Part ships them) still reads.
TEST(PascalPartAnnotation, DeclaredSizesAreCheckedBeforeMatioAllocates) {
  SKIP_WITHOUT_MATIO();
  const std::string path = std::string(LAGM_SOURCE_DIR) + "/fuzz/regressions/pascal_part_mat/huge_struct_array.mat";
  try {
    read_pascal_part_annotation(path);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": corrupt or unsupported MAT file"), std::string::npos) << e.what();
  }
  const auto dir = lagm::test::fresh_temp_dir("pascal_part_compressed_mat");
  const std::string good = (dir / "good.mat").string();
  ASSERT_EQ(lagm::test::run_python("from scipy.io import savemat\nimport numpy as np\n"
                                   "m = np.zeros((30, 20), np.uint8); m[3:9, 4:7] = 1\n"
                                   "parts = np.zeros((1, 2), dtype=[('part_name', 'O'), ('mask', 'O')])\n"
                                   "parts[0, 0]['part_name'] = 'head'; parts[0, 0]['mask'] = m\n"
                                   "parts[0, 1]['part_name'] = 'tail'; parts[0, 1]['mask'] = 1 - m\n"
                                   "objs = np.zeros((1, 1), dtype=[('class', 'O'), ('class_ind', 'O'), ('mask', 'O'), ('parts', 'O')])\n"
                                   "objs[0, 0]['class'] = 'horse'; objs[0, 0]['class_ind'] = 13; objs[0, 0]['mask'] = m\n"
                                   "objs[0, 0]['parts'] = parts\n"
                                   "savemat('" + good + "', {'anno': {'imname': 'a', 'objects': objs}}, do_compression=True)\n"),
            0);
  const auto anno = read_pascal_part_annotation(good);
  ASSERT_EQ(anno.objects.size(), 1u);
  ASSERT_EQ(anno.objects[0].parts.size(), 2u);
  EXPECT_EQ(anno.objects[0].parts[1].first, "tail");
  // Truncating the valid file anywhere after its header is refused with the file named, never a crash.
  const std::string bytes = lagm::core::read_file(good);
  for (size_t cut : {size_t{130}, bytes.size() / 2, bytes.size() - 3}) {
    const std::string truncated = (dir / ("cut" + std::to_string(cut) + ".mat")).string();
    std::ofstream(truncated, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(cut));
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

// Without matio a .mat file is refused with the reason, after the checks that need no matio.
TEST(PascalPartAnnotation, WithoutMatioAFileIsRefusedWithTheReason) {
  if (LAGM_HAVE_MATIO) GTEST_SKIP() << "built with matio";
  const std::string path = std::string(LAGM_SOURCE_DIR) + "/fuzz/corpus/pascal_part_mat/horse_plain.mat";
  try {
    read_pascal_part_annotation(path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("horse_plain.mat: this lagm was built without matio"), std::string::npos) << e.what();
  }
}

// The CLI on a tree whose only horse has a cow's part: exit 2, one line naming the .mat file.
TEST(PascalPartPrepareCli, UnknownPartNamesTheFileAndExitsWithTwo) {
  SKIP_WITHOUT_MATIO();
  const auto dir = lagm::test::fresh_temp_dir("pascal_part_cli");
  const std::string script = "OUT = '" + dir.string() + R"PY('
import os
import numpy as np
from PIL import Image
from scipy.io import savemat
V = f'{OUT}/VOC'
for s in ('JPEGImages', 'Annotations', 'ImageSets/Main', 'part_segmentation/Annotations_Part'): os.makedirs(f'{V}/{s}')
Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(f'{V}/JPEGImages/a.jpg')
open(f'{V}/ImageSets/Main/horse_train.txt', 'w').write('a  1\n')
open(f'{V}/ImageSets/Main/horse_val.txt', 'w').write('')
m = np.ones((40, 40), np.uint8)
parts = np.zeros((1, 1), dtype=[('part_name', 'O'), ('mask', 'O')]); parts[0, 0]['part_name'] = 'lhorn'; parts[0, 0]['mask'] = m
objs = np.zeros((1, 1), dtype=[('class', 'O'), ('class_ind', 'O'), ('mask', 'O'), ('parts', 'O')])
objs[0, 0]['class'] = 'horse'; objs[0, 0]['class_ind'] = 13; objs[0, 0]['mask'] = m; objs[0, 0]['parts'] = parts
savemat(f'{V}/part_segmentation/Annotations_Part/a.mat', {'anno': {'imname': 'a', 'objects': objs}})
)PY";
  ASSERT_EQ(lagm::test::run_python(script), 0);
  const auto [code, output] = lagm::test::run_command(std::string(LAGM_BINARY) + " prepare-pascal-part --voc " +
                                                      (dir / "VOC").string() + " --obj horse --out " +
                                                      (dir / "out").string() + " 2>&1");
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("a.mat: part 'lhorn' is not in the horse part table"), std::string::npos) << output;
}

}  // namespace
}  // namespace lagm::data

// `lagm prepare-pascal-part`: builds the Pascal-Horse / Pascal-Aeroplane crops of the paper from
// PASCAL VOC 2010 and the PASCAL-Part `.mat` annotations, exactly as the reference's
// preparation:
//   1+2. for every positive image of <obj>_<split>.txt, a part map from all <obj> instances
//        (compact part ids), written with a copy of the JPEG and the XML; VOC val becomes "test";
//   3.   for every <obj> box: overlap and size filters, squared box, zero-padded square crop,
//        the 1 % part-pixel rule; train crops split into the first 180 (train) and the rest (val).
// The output is what PascalPartDataset reads: <out>/<obj>/{train,test}/CroppedImages, ...
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lagm/data/voc_annotation.h"

namespace lagm::data {

/// Compact part id of a PASCAL-Part part name for `obj` (horse, aeroplane), or -1 when the table
/// has no such part (the reference's assertion). Horse: head/eyes/ears/muzzle 1, torso 2, legs and
/// hooves 3, neck 4, tail 5. Aeroplane: body 1, stern/tail 2, wings 3, engine_0..29 4,
/// wheel_0..29 5.
int part_id(const std::string& obj, const std::string& part_name);

/// Number of compact part classes incl. background (6 for both objects).
int part_class_count(const std::string& obj);

/// The overlap the reference calls box IoU: intersection over the area of the *enclosing* box (not
/// the union of the two), on the raw 1-based corner coordinates; the diagonal is 0. Row-major N x
/// N.
std::vector<double> mutual_box_overlap(const std::vector<VocObject>& boxes);

/// 0-based [x1, x2) x [y1, y2) region of the image.
struct PixelBox {
  int64_t x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  bool operator==(const PixelBox& o) const {
    return x1 == o.x1 && y1 == o.y1 && x2 == o.x2 && y2 == o.y2;
  }
};

/// The reference's extend_box: a square of side max(w, h) around the box centre, clipped to the
/// image, truncated to integers. The reference clamps the centre with the box's own half-size, not
/// the square's, which never moves a box that lies inside the image: near a border the square is
/// clipped, and crop_with_padding pads it back to a square.
PixelBox square_box(const VocObject& box, int64_t image_height, int64_t image_width);

struct PascalPartPrepareOptions {
  std::string voc;    ///< VOC2010 root: JPEGImages/, Annotations/, ImageSets/Main/
  std::string parts;  ///< the .mat folder; empty = <voc>/part_segmentation/Annotations_Part
  std::string out;    ///< writes <out>/<obj>/train and <out>/<obj>/test
  std::string obj;    ///< horse or aeroplane
  int64_t min_pixels =
      0;  ///< minimum box side; 0 = the paper's value (horse 32, aeroplane 50; docs/datasets.md)
  int64_t train_count =
      180;  ///< first N crops of VOC train (sorted) -> train_set.txt, the rest -> val_set.txt
};

struct PascalPartSplitReport {
  std::string split;  ///< "train" or "test"
  int64_t images = 0, crops = 0;
  int64_t discarded_overlap = 0, discarded_small = 0, discarded_empty = 0;
};

/// Runs steps 1-3 for VOC train (-> train) and VOC val (-> test). Deterministic; every file is
/// written atomically, so an interrupted run is simply run again. `progress(done, total, split)`
/// is called after every image. Throws InputError naming the file for missing or malformed input.
std::vector<PascalPartSplitReport> prepare_pascal_part(
    const PascalPartPrepareOptions& options,
    const std::function<void(int64_t, int64_t, const std::string&)>& progress = {});

}  // namespace lagm::data

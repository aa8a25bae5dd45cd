// The paper's data sets, read exactly as the reference's loaders read them:
// CelebAMask-HQ (19 part masks -> 8 classes), Pascal-Part (prepared crops), DatasetGAN
// (Car-20, Cat-16, Face-34), CGPart renders and CGPart-real photos.
#pragma once

#include <c10/util/Optional.h>

#include <string>
#include <utility>
#include <vector>

#include "lagm/data/labelled_dataset.h"
#include "lagm/io/resize.h"

namespace lagm::data {

/// Common to the paper's loaders: ids, classes, the output size and the final conversion.
class PaperDataset : public LabelledDataset {
 public:
  size_t size() const override { return ids_.size(); }
  const std::vector<std::string>& class_names() const override { return class_names_; }
  const std::string& root() const override { return root_; }
  const std::vector<std::string>& ids() const override { return ids_; }

 protected:
  /// Checks the label's class range (naming `label_path`), resizes the uint8 image [H, W, 3] with
  /// `filter` and the label [H, W] with PIL nearest to out_h x out_w (0 = keep), converts.
  Sample finish(torch::Tensor image, torch::Tensor label, const std::string& id,
                const std::string& label_path, int64_t out_h, int64_t out_w,
                io::ResizeFilter filter = io::ResizeFilter::kBicubic) const;

  /// A label file as the reference's np.load-or-image reads it: a .npy array, or failing that a
  /// mask image; any shape (callers slice 3-D arrays their own way).
  static torch::Tensor read_label_array(const std::string& path);

  std::string root_;
  std::vector<std::string> ids_, class_names_;
};

/// An output size as the reference's loaders take it: PIL's resize((width, height)); 0 x 0 = as
/// stored. A data-set spec gives it as [W, H], or as one integer for a square.
struct ImageSize {
  int64_t width = 0, height = 0;
  static ImageSize square(int64_t side) { return {side, side}; }
};

/// CelebAMaskDataset(rootdir, split, img_size, limit_size, convert_19to8, imageset_folder).
struct CelebAMaskOptions {
  std::string split = "train";  ///< train (28000-29499), val (27500-27999), test (29500-29999)
  ImageSize img_size = ImageSize::square(256);
  int64_t limit = 0;  ///< first N ids of the split (0 = all)
  bool convert_19to8 = true;
  std::string split_folder;  ///< <folder>/<split>.txt, one id per line; empty = the built-in lists
};
class CelebAMaskDataset : public PaperDataset {
 public:
  CelebAMaskDataset(std::string root, CelebAMaskOptions options);
  Sample get(size_t index) const override;
  /// The reference's split lists (also shipped as configs/celeba_split/<split>.txt).
  static std::vector<int64_t> builtin_split(const std::string& split);

 private:
  CelebAMaskOptions options_;
};

/// PascalPart(rootdir, split, img_folder, seg_folder, img_size, max_size): prepared crops.
struct PascalPartOptions {
  std::string split =
      "train";  ///< train / val: <root>/<split>_set.txt; test: every image in img_folder
  std::string img_folder, seg_folder;  ///< default <root>/CroppedImages, <root>/CroppedSegmentation
  ImageSize img_size = ImageSize::square(256);
  int64_t max_size = 0;
  std::string obj;  ///< horse or aeroplane (class names); empty = guessed from the root path
};
class PascalPartDataset : public PaperDataset {
 public:
  PascalPartDataset(std::string root, PascalPartOptions options);
  Sample get(size_t index) const override;

 private:
  PascalPartOptions options_;
};

/// DatasetGANDataset(rootdir, obj, split, img_size, max_size, id_range, convert_34to8).
struct DatasetGANOptions {
  std::string obj = "car";  ///< car (20 classes), cat (16), face (34)
  std::string split =
      "train";  ///< train: training_data/<obj>_processed; test: testing_data/<obj>_<N>_class
  ImageSize img_size = ImageSize::square(512);
  int64_t max_size = 0;
  c10::optional<std::pair<int64_t, int64_t>> id_range;
  bool convert_34to8 = false;
};
class DatasetGANDataset : public PaperDataset {
 public:
  DatasetGANDataset(std::string root, DatasetGANOptions options);
  Sample get(size_t index) const override;
  /// The reference's sort keys: the integer after the last '_' of an image stem; and
  /// int(stem.strip('image_mask')) of a label stem (Python strip: a character set, both ends).
  static int64_t image_sort_key(const std::string& stem);
  static int64_t label_sort_key(const std::string& stem);

 private:
  DatasetGANOptions options_;
  std::vector<std::string> image_files_, label_files_;
};

/// CGPart(rootdir, obj_name='car', dst_shape=(256, 192), length, classes_version, selected_models).
struct CGPartOptions {
  int64_t width = 256, height = 192;
  int64_t length = 1000;
  int version = 0;  ///< CGPart_car_simplified_v0 (15 classes) or v1 (10)
  std::vector<std::string> models = {"minivan", "suv", "sedan", "wagon"};
  uint32_t numpy_seed = 0;  ///< the global NumPy seed at construction (train_annotator seeds 0)
};
class CGPartDataset : public PaperDataset {
 public:
  CGPartDataset(std::string root, CGPartOptions options);
  Sample get(size_t index) const override;
  /// ShapeNet id of a CGPart car model name; throws InputError for unknown names.
  static std::string model_id(const std::string& name);

 private:
  CGPartOptions options_;
  std::vector<std::string> image_files_, seg_files_;
};

/// CGPartReal(rootdir, obj_name='car', split='val', short_side=192, classes_version).
struct CGPartRealOptions {
  std::string split = "val";
  int64_t short_side = 192;
  int version = 0;
};
class CGPartRealDataset : public PaperDataset {
 public:
  CGPartRealDataset(std::string root, CGPartRealOptions options);
  Sample get(size_t index) const override;

 private:
  CGPartRealOptions options_;
};

/// test_seg.py's ImageLabelDataset over a --testing_path folder, the --cv protocol's test data:
/// every file whose name contains "npy" is a label, every other
/// file an image; each list sorted by name and paired by position. A label is a .npy array (or,
/// failing that, an image); 3-D takes [:, :, 0]; then astype(uint8). No clean-up. Images lose an
/// alpha channel (the reference would feed 4 channels to the network and fail).
struct SortedPairsOptions {
  ImageSize img_size;  ///< output size (the reference's segres, square); 0 = as stored
  std::vector<std::string> class_names;  ///< required: the folder does not say
};
class SortedPairsDataset : public PaperDataset {
 public:
  SortedPairsDataset(std::string root, SortedPairsOptions options);
  Sample get(size_t index) const override;
  /// True for a folder in this layout: no img/ subfolder, and at least one file named *npy*.
  static bool looks_like(const std::string& folder);

 private:
  SortedPairsOptions options_;
  std::vector<std::string> image_files_, label_files_;
};

}  // namespace lagm::data

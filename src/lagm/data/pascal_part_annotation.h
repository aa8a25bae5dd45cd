// The PASCAL-Part annotation of one image (`Annotations_Part/<id>.mat`, MATLAB v5/v7): a
// struct `anno` with `imname` and a 1xN struct array `objects` of {class, class_ind, mask, parts},
// where `parts` is a 1xP struct array of {part_name, mask} (or empty for silhouette-only classes).
// Read by lagm's own MAT reader (data/mat_v5_reader.h); nothing here depends on LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lagm::data {

/// A row-major H x W binary mask (values 0/1).
struct BinaryMask {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> pixels;
  bool at(int64_t y, int64_t x) const { return pixels[static_cast<size_t>(y * width + x)] != 0; }
};

struct PartObject {
  std::string class_name;   ///< VOC class, e.g. "horse"
  int64_t class_index = 0;  ///< 1-based VOC class index
  BinaryMask silhouette;
  std::vector<std::pair<std::string, BinaryMask>>
      parts;  ///< in file order (later parts paint over earlier)
};

struct PartAnnotation {
  std::string image_name;
  std::vector<PartObject> objects;  ///< in file order (later objects paint over earlier)
};

/// Reads one annotation file. Throws InputError("<path>: ...") for a missing or unreadable file or
/// one that does not have the PASCAL-Part layout.
PartAnnotation read_pascal_part_annotation(const std::string& path);

}  // namespace lagm::data

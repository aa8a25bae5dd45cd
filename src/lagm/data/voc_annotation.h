// A PASCAL VOC annotation XML (`Annotations/<id>.xml`): image size and object boxes. Boxes are
// 1-based and inclusive, as VOC writes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lagm::data {

struct VocObject {
  std::string name;
  int64_t xmin = 0, ymin = 0, xmax = 0, ymax = 0;
};

struct VocAnnotation {
  int64_t width = 0, height = 0;
  std::vector<VocObject> objects;  ///< in file order
};

/// Throws InputError("<path>: ...") for a missing file, malformed XML or a missing/non-integer
/// field.
VocAnnotation read_voc_annotation(const std::string& path);

}  // namespace lagm::data

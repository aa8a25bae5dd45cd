// The images a user asks `lagm predict` to segment: files, folders (searched recursively for
// .png/.jpg/.jpeg) and list files (.txt/.lst/.list: one image path a line, relative to the list's
// folder; blank lines and lines starting with # are skipped). Each image gets the name its outputs
// take: its path inside the folder it was found in (mirrored layout), its file name when given
// directly.
#pragma once

#include <string>
#include <vector>

namespace lagm::predict {

struct InputImage {
  std::string path;  ///< as found (a folder argument joined with the path inside it)
  std::string name;  ///< output name without extension, e.g. "street/0001" for street/0001.jpg
};

/// The images `arguments` name, in order (folders sorted by path), with every image inside
/// `output_dir` left out of folder searches (a rerun into a folder inside the inputs must not
/// segment its own masks) and refused when named directly. InputError naming the path for a
/// missing path, an unreadable list, two images that would write the same outputs, or no image.
std::vector<InputImage> collect_input_images(const std::vector<std::string>& arguments,
                                             const std::string& output_dir);

/// True for the file name extensions a folder search takes (.png, .jpg, .jpeg, any case).
bool has_image_extension(const std::string& path);

}  // namespace lagm::predict

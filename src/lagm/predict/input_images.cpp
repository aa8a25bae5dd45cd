#include "lagm/predict/input_images.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "lagm/core/error.h"

namespace lagm::predict {
namespace {

namespace fs = std::filesystem;

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool is_list_file(const fs::path& p) {
  const auto ext = lower_extension(p);
  return ext == ".txt" || ext == ".lst" || ext == ".list";
}

// Whether `p` lies inside `dir` (both made absolute and normal; links resolved where they exist).
bool inside(const fs::path& p, const fs::path& dir) {
  std::error_code ec;
  const auto a = fs::weakly_canonical(fs::absolute(p), ec);
  if (ec) return false;
  const auto mismatch = std::mismatch(dir.begin(), dir.end(), a.begin(), a.end());
  return mismatch.first == dir.end();
}

// The output name of a path relative to where it was found: extension dropped, and a path that
// climbs out ("../x.png") or is absolute reduced to its file name.
std::string output_name(const fs::path& relative) {
  bool climbs = relative.is_absolute();
  for (const auto& part : relative) climbs = climbs || part == "..";
  const fs::path kept = climbs ? relative.filename() : relative.lexically_normal();
  return (kept.parent_path() / kept.stem()).generic_string();
}

class Collector {
 public:
  explicit Collector(const std::string& output_dir) {
    std::error_code ec;
    out_ = fs::weakly_canonical(fs::absolute(output_dir), ec);
  }

  void add_argument(const std::string& argument) {
    const fs::path p(argument);
    std::error_code ec;
    if (fs::is_directory(p, ec)) return add_folder(p);
    if (!fs::exists(p, ec)) throw InputError(argument + ": no such file or folder (--images)");
    if (is_list_file(p)) return add_list(p);
    add_file(p, output_name(p.filename()), argument);
  }

  std::vector<InputImage> take() {
    if (images_.empty()) throw InputError("--images: no .png, .jpg or .jpeg images found");
    return std::move(images_);
  }

 private:
  void add_folder(const fs::path& folder) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_directory() && inside(it->path(), out_)) {
        it.disable_recursion_pending();  // the output folder: our own masks, not inputs
        continue;
      }
      if (it->is_regular_file() && has_image_extension(it->path().string()))
        found.push_back(it->path());
    }
    if (ec) throw InputError(folder.string() + ": cannot list the folder: " + ec.message());
    std::sort(found.begin(), found.end());
    for (const auto& f : found)
      if (!inside(f, out_)) add(f.string(), output_name(f.lexically_relative(folder)));
  }

  void add_list(const fs::path& list) {
    std::ifstream in(list);
    if (!in) throw InputError(list.string() + ": cannot read the image list");
    std::string line;
    int64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      const fs::path entry(line);
      const fs::path path = entry.is_absolute() ? entry : list.parent_path() / entry;
      std::error_code ec;
      if (!fs::is_regular_file(path, ec))
        throw InputError(list.string() + ":" + std::to_string(number) + ": " + path.string() +
                         ": no such image");
      add_file(path, output_name(entry), list.string() + ":" + std::to_string(number));
    }
  }

  void add_file(const fs::path& path, const std::string& name, const std::string& where) {
    if (inside(path, out_))
      throw InputError(where + ": " + path.string() +
                       " lies inside the output folder; predict into another --out");
    add(path.string(), name);
  }

  void add(const std::string& path, const std::string& name) {
    const auto [it, fresh] = names_.emplace(name, path);
    if (!fresh)
      throw InputError(path + " and " + it->second + " would both write the outputs named '" +
                       name + "'; rename one or give them in separate runs");
    images_.push_back({path, name});
  }

  fs::path out_;
  std::vector<InputImage> images_;
  std::map<std::string, std::string> names_;
};

}  // namespace

bool has_image_extension(const std::string& path) {
  const auto ext = lower_extension(fs::path(path));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::vector<InputImage> collect_input_images(const std::vector<std::string>& arguments,
                                             const std::string& output_dir) {
  Collector collector(output_dir);
  for (const auto& a : arguments) collector.add_argument(a);
  return collector.take();
}

}  // namespace lagm::predict

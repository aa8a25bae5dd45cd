#include "lagm/data/pascal_part_prepare.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/pascal_part_annotation.h"
#include "lagm/io/image.h"

namespace lagm::data {
namespace fs = std::filesystem;

// ---- part tables
// ---------------------------------------------------------------------------------

namespace {

// The reference merges left/right and numbered instances of a part into one class ("compact"
// semantic parts). Numbered parts (engine_3, wheel_12) exist for indices 0..29.
int numbered_part(const std::string& name, const std::string& stem) {
  const std::string prefix = stem + "_";
  if (name.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string digits = name.substr(prefix.size());
  if (digits.empty() || digits.size() > 2 || !std::all_of(digits.begin(), digits.end(), ::isdigit))
    return -1;
  if (digits.size() == 2 && digits[0] == '0') return -1;  // "engine_05" is not a key of the table
  return std::stoi(digits) < 30 ? 1 : -1;
}

}  // namespace

int part_id(const std::string& obj, const std::string& part) {
  if (obj == "horse") {
    static const std::map<std::string, int> table = {
        {"head", 1},   {"leye", 1},   {"reye", 1},   {"lear", 1},   {"rear", 1},   {"muzzle", 1},
        {"torso", 2},  {"lfuleg", 3}, {"lflleg", 3}, {"rfuleg", 3}, {"rflleg", 3}, {"lbuleg", 3},
        {"lblleg", 3}, {"rbuleg", 3}, {"rblleg", 3}, {"lfho", 3},   {"rfho", 3},   {"lbho", 3},
        {"rbho", 3},   {"neck", 4},   {"tail", 5}};
    const auto it = table.find(part);
    return it == table.end() ? -1 : it->second;
  }
  if (obj == "aeroplane") {
    static const std::map<std::string, int> table = {
        {"body", 1}, {"stern", 2}, {"tail", 2}, {"lwing", 3}, {"rwing", 3}};
    const auto it = table.find(part);
    if (it != table.end()) return it->second;
    if (numbered_part(part, "engine") > 0) return 4;
    if (numbered_part(part, "wheel") > 0) return 5;
    return -1;
  }
  throw UsageError("Pascal-Part: unknown object '" + obj + "' (horse or aeroplane)");
}

int part_class_count(const std::string& obj) {
  if (obj == "horse" || obj == "aeroplane") return 6;
  throw UsageError("Pascal-Part: unknown object '" + obj + "' (horse or aeroplane)");
}

// ---- box geometry
// --------------------------------------------------------------------------------

std::vector<double> mutual_box_overlap(const std::vector<VocObject>& boxes) {
  const size_t n = boxes.size();
  std::vector<double> out(n * n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      const auto& a = boxes[i];
      const auto& b = boxes[j];
      const double iw = std::max(double(std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin)), 0.0);
      const double ih = std::max(double(std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin)), 0.0);
      const double ew = std::max(double(std::max(a.xmax, b.xmax) - std::min(a.xmin, b.xmin)), 0.0);
      const double eh = std::max(double(std::max(a.ymax, b.ymax) - std::min(a.ymin, b.ymin)), 0.0);
      out[i * n + j] = (iw * ih) / (ew * eh + 1e-8);
    }
  return out;
}

PixelBox square_box(const VocObject& box, int64_t image_height, int64_t image_width) {
  // Halves are exact in double, so this is the reference's float arithmetic exactly.
  const double x1 = double(box.xmin - 1), y1 = double(box.ymin - 1), x2 = double(box.xmax),
               y2 = double(box.ymax);
  const double W = double(image_width), H = double(image_height);
  const double w = x2 - x1, h = y2 - y1, scale = std::max(w, h);
  const double cx =
      std::min(std::max((x1 + x2) / 2, std::min(W / 2, w / 2)), std::max(W / 2, W - w / 2));
  const double cy =
      std::min(std::max((y1 + y2) / 2, std::min(H / 2, h / 2)), std::max(H / 2, H - h / 2));
  auto clip = [](double v, double hi) { return std::min(std::max(v, 0.0), hi); };
  // int() truncates toward zero; every value is >= 0 here.
  return {
      static_cast<int64_t>(clip(cx - scale / 2, W)), static_cast<int64_t>(clip(cy - scale / 2, H)),
      static_cast<int64_t>(clip(cx + scale / 2, W)), static_cast<int64_t>(clip(cy + scale / 2, H))};
}

// ---- the pipeline
// ----------------------------------------------------------------------------------

namespace {

using Progress = std::function<void(int64_t, int64_t, const std::string&)>;
using Json = nlohmann::ordered_json;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": no such file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// <voc>/ImageSets/Main/<obj>_<split>.txt: "<id> <flag>"; flag 1 = positive, -1 negative, 0
// difficult.
std::vector<std::string> positive_ids(const std::string& list_path) {
  std::ifstream in(list_path);
  if (!in) throw InputError(list_path + ": cannot open the VOC image list");
  std::vector<std::string> ids;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream fields(line);
    std::vector<std::string> tokens;
    for (std::string t; fields >> t;) tokens.push_back(t);
    if (tokens.empty()) continue;
    if (tokens.size() < 2)
      throw InputError(list_path + ":" + std::to_string(line_no) + ": expected '<id> <flag>'");
    if (tokens.back() == "1") ids.push_back(tokens.front());
  }
  return ids;
}

Json part_class_row(const torch::Tensor& mask, int classes) {
  const auto present = torch::bincount(mask.flatten().to(torch::kLong), {}, classes);
  std::vector<double> row(static_cast<size_t>(classes));
  for (int c = 0; c < classes; ++c)
    row[static_cast<size_t>(c)] = present[c].item<int64_t>() > 0 ? 1.0 : 0.0;
  return Json::array({row});  // the reference stores 1 x npart rows
}

double foreground_fraction(const torch::Tensor& mask) {
  return double((mask > 0).sum().item<int64_t>()) / double(mask.numel());
}

// Steps 1+2: part maps of every positive image, with copies of its JPEG and XML.
PascalPartSplitReport construct_split(const PascalPartPrepareOptions& o,
                                      const std::string& voc_split, const fs::path& dest,
                                      const Progress& progress) {
  PascalPartSplitReport report;
  report.split = dest.filename().string();
  const std::string parts_dir =
      o.parts.empty() ? (fs::path(o.voc) / "part_segmentation" / "Annotations_Part").string()
                      : o.parts;
  const auto ids = positive_ids(
      (fs::path(o.voc) / "ImageSets" / "Main" / (o.obj + "_" + voc_split + ".txt")).string());
  for (const char* sub : {"JPEGImages", "SegmentationPart", "Annotations"})
    core::create_folder_inside(dest.string(), sub);
  const int classes = part_class_count(o.obj);

  Json stats = {{"indexs", Json::array()},
                {"single_class", Json::array()},
                {"single_instance", Json::array()},
                {"part_class", Json::array()},
                {"area", Json::array()}};
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string mat_path = (fs::path(parts_dir) / (ids[i] + ".mat")).string();
    const auto anno = read_pascal_part_annotation(mat_path);
    if (anno.objects.empty()) throw InputError(mat_path + ": the annotation has no objects");
    const int64_t H = anno.objects[0].silhouette.height, W = anno.objects[0].silhouette.width;
    auto part_map = torch::zeros({H, W}, torch::kUInt8);
    auto* pm = part_map.data_ptr<uint8_t>();
    bool single_class = true, any_obj = false;
    for (const auto& inst : anno.objects) {
      if (inst.silhouette.height != H || inst.silhouette.width != W)
        throw InputError(mat_path + ": object masks differ in size");
      if (inst.class_name != o.obj) {
        single_class = false;
        continue;
      }
      any_obj = true;
      for (const auto& [name, mask] : inst.parts) {
        const int id = part_id(o.obj, name);
        if (id < 0)
          throw InputError(mat_path + ": part '" + name + "' is not in the " + o.obj +
                           " part table");
        if (mask.height != H || mask.width != W)
          throw InputError(mat_path + ": part '" + name + "' differs in size");
        for (size_t p = 0; p < mask.pixels.size(); ++p) {
          if (!mask.pixels[p]) continue;
          if (!inst.silhouette.pixels[p])
            throw InputError(mat_path + ": part '" + name +
                             "' extends outside its object's silhouette");
          pm[p] = static_cast<uint8_t>(id);  // later parts and instances paint over earlier ones
        }
      }
    }
    if (progress)
      progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(ids.size()),
               report.split + " part maps");
    if (!any_obj) continue;  // listed as positive, but no annotated instance

    const std::string name = anno.image_name;
    stats["indexs"].push_back(name);
    stats["single_class"].push_back(single_class);
    stats["single_instance"].push_back(anno.objects.size() == 1);
    stats["part_class"].push_back(part_class_row(part_map, classes));
    stats["area"].push_back(foreground_fraction(part_map));
    core::write_file_atomic(
        (dest / "JPEGImages" / (name + ".jpg")).string(),
        read_bytes((fs::path(o.voc) / "JPEGImages" / (name + ".jpg")).string()));
    core::write_file_atomic(
        (dest / "Annotations" / (name + ".xml")).string(),
        read_bytes((fs::path(o.voc) / "Annotations" / (name + ".xml")).string()));
    io::write_mask_png((dest / "SegmentationPart" / (name + ".png")).string(), part_map);
    ++report.images;
  }
  core::write_file_atomic((dest / "stats.json").string(), stats.dump());
  return report;
}

torch::Tensor crop_with_padding(const torch::Tensor& image, const PixelBox& b) {
  const int64_t bw = b.x2 - b.x1, bh = b.y2 - b.y1, side = std::max(bw, bh);
  auto shape = image.sizes().vec();
  shape[0] = shape[1] = side;
  auto patch = torch::zeros(shape, torch::kUInt8);
  const int64_t px = (side - bw) / 2, py = (side - bh) / 2;
  patch.slice(0, py, py + bh)
      .slice(1, px, px + bw)
      .copy_(image.slice(0, b.y1, b.y2).slice(1, b.x1, b.x2));
  return patch;
}

std::vector<std::string> sorted_stems(const fs::path& dir, const std::string& ext) {
  std::vector<std::string> stems;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ext)
      stems.push_back(e.path().stem().string());
  std::sort(stems.begin(), stems.end());
  return stems;
}

// Step 3: square crops around every kept <obj> box.
void crop_split(const PascalPartPrepareOptions& o, const fs::path& dest, int64_t min_pixels,
                PascalPartSplitReport& report, const Progress& progress) {
  const int classes = part_class_count(o.obj);
  core::create_folder_inside(dest.string(), "CroppedImages");
  core::create_folder_inside(dest.string(), "CroppedSegmentation");
  Json stats = {{"indexs", Json::array()}, {"part_class", Json::array()}, {"area", Json::array()}};
  const auto ids = sorted_stems(dest / "JPEGImages", ".jpg");
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& id = ids[i];
    const std::string xml_path = (dest / "Annotations" / (id + ".xml")).string();
    const auto voc = read_voc_annotation(xml_path);
    std::vector<VocObject> boxes;
    for (const auto& obj : voc.objects)
      if (obj.name == o.obj) boxes.push_back(obj);
    const auto overlap = mutual_box_overlap(boxes);

    const std::string img_path = (dest / "JPEGImages" / (id + ".jpg")).string();
    const std::string seg_path = (dest / "SegmentationPart" / (id + ".png")).string();
    const auto image = io::read_image(img_path);
    const auto seg = io::read_mask_png(seg_path);
    if (image.size(0) != voc.height || image.size(1) != voc.width)
      throw InputError(img_path + ": image is " + std::to_string(image.size(1)) + "x" +
                       std::to_string(image.size(0)) + " but " + xml_path + " says " +
                       std::to_string(voc.width) + "x" + std::to_string(voc.height));
    if (seg.size(0) != image.size(0) || seg.size(1) != image.size(1))
      throw InputError(seg_path + ": part map and image differ in size");

    for (size_t k = 0; k < boxes.size(); ++k) {
      const auto row_begin = overlap.begin() + static_cast<std::ptrdiff_t>(k * boxes.size());
      if (std::any_of(row_begin, row_begin + static_cast<std::ptrdiff_t>(boxes.size()),
                      [](double v) { return v > 0.05; })) {
        ++report.discarded_overlap;
        continue;
      }
      const auto& b = boxes[k];
      if (b.xmax - b.xmin + 1 < min_pixels || b.ymax - b.ymin + 1 < min_pixels) {
        ++report.discarded_small;
        continue;
      }
      const auto square = square_box(b, voc.height, voc.width);
      const auto image_crop = crop_with_padding(image, square);
      const auto seg_crop = crop_with_padding(seg, square);
      const double area = foreground_fraction(seg_crop);
      if (area < 0.01) {
        ++report.discarded_empty;
        continue;
      }
      const std::string name = id + "_" + std::to_string(k);  // k counts every <obj> box of the XML
      stats["indexs"].push_back(name);
      stats["part_class"].push_back(part_class_row(seg_crop, classes));
      stats["area"].push_back(area);
      io::write_png((dest / "CroppedImages" / (name + ".png")).string(), image_crop);
      io::write_mask_png((dest / "CroppedSegmentation" / (name + ".png")).string(), seg_crop);
      ++report.crops;
    }
    if (progress)
      progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(ids.size()),
               report.split + " crops");
  }
  core::write_file_atomic((dest / "cropped_stats.json").string(), stats.dump());
}

void write_train_val_lists(const fs::path& dest, int64_t train_count) {
  const auto crops = sorted_stems(dest / "CroppedImages", ".png");
  std::string train, val;
  for (size_t i = 0; i < crops.size(); ++i)
    (static_cast<int64_t>(i) < train_count ? train : val) += crops[i] + "\n";
  core::write_file_atomic((dest / "train_set.txt").string(), train);
  core::write_file_atomic((dest / "val_set.txt").string(), val);
}

}  // namespace

std::vector<PascalPartSplitReport> prepare_pascal_part(const PascalPartPrepareOptions& o,
                                                       const Progress& progress) {
  part_class_count(o.obj);  // validates obj
  if (!fs::is_directory(o.voc)) throw InputError(o.voc + ": no such VOC2010 folder");
  if (o.train_count < 0) throw SettingError("train_count", "must be >= 0");
  const int64_t min_pixels = o.min_pixels > 0 ? o.min_pixels : (o.obj == "horse" ? 32 : 50);
  std::vector<PascalPartSplitReport> reports;
  for (const auto& [voc_split, dest_split] :
       {std::pair<std::string, std::string>{"train", "train"}, {"val", "test"}}) {
    const fs::path dest = fs::path(o.out) / o.obj / dest_split;
    auto report = construct_split(o, voc_split, dest, progress);
    crop_split(o, dest, min_pixels, report, progress);
    if (dest_split == "train") write_train_val_lists(dest, o.train_count);
    reports.push_back(report);
  }
  return reports;
}

}  // namespace lagm::data

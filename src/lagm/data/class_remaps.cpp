#include "lagm/data/class_remaps.h"

#include <torch/torch.h>

#include <array>
#include <map>

#include "lagm/core/error.h"

namespace lagm::data {
namespace {

using Lut = std::array<uint8_t, 256>;

/// A table sending 0 to 0 and every other value to `nonzero`, then applying `rules` in order.
Lut make_lut(uint8_t nonzero, const std::vector<std::pair<std::vector<int>, uint8_t>>& rules) {
  Lut lut;
  lut.fill(nonzero);
  lut[0] = 0;
  for (const auto& [sources, target] : rules)
    for (int s : sources) lut[static_cast<size_t>(s)] = target;
  return lut;
}

torch::Tensor apply(const torch::Tensor& labels, const Lut& lut) {
  auto table = torch::from_blob(const_cast<uint8_t*>(lut.data()), {256}, torch::kUInt8).clone();
  auto idx = labels.to(torch::kCPU, torch::kInt64);
  TORCH_CHECK(
      idx.numel() == 0 || (idx.min().item<int64_t>() >= 0 && idx.max().item<int64_t>() < 256),
      "class remap: label values must be in 0..255");
  return table.index({idx});
}

}  // namespace

const std::vector<std::string>& class_list(const std::string& name) {
  static const std::map<std::string, std::vector<std::string>> lists = {
      {"celebA_19",
       {"background", "skin", "nose", "eye_g", "l_eye", "r_eye", "l_brow", "r_brow", "l_ear",
        "r_ear", "mouth", "u_lip", "l_lip", "hair", "hat", "ear_r", "neck_l", "neck", "cloth"}},
      {"celebA_8", {"background", "ear", "eye", "eyebrow", "skin", "hair", "mouth", "nose"}},
      {"dg_face_8", {"background", "ear", "eye", "eyebrow", "skin", "hair", "mouth", "nose"}},
      {"dg_car_20", {"background",   "back_bumper", "bumper",   "car_body",       "car_lights",
                     "door",         "fender",      "grilles",  "handles",        "hoods",
                     "licensePlate", "mirror",      "roof",     "running_boards", "tailLight",
                     "tire",         "trunk_lids",  "wheelhub", "window",         "windshield"}},
      {"dg_cat",
       {"00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
        "15"}},
      {"dg_face", {"background", "head",         "cheek",          "chin",         "ear",
                   "ear-helix",  "ear-lobule",   "eye-bottom lid", "eyelashes",    "iris",
                   "pupil",      "sclera",       "tear duct",      "top lid",      "eyebrow",
                   "forehead",   "frown",        "hair",           "sideburns",    "jaw",
                   "moustache",  "inferior lip", "oral comisure",  "superior lip", "teeth",
                   "neck",       "nose",         "ala of nose",    "nose bridge",  "nose tip",
                   "nostril",    "philtrum",     "temple",         "wrinkles"}},
      {"PascalPart_horse", {"background", "head", "torso", "legs", "neck", "tail"}},
      {"PascalPart_aeroplane", {"background", "body", "stern", "wing", "engine", "wheel"}},
      {"CGPart_car",
       {"background",
        "back_bumper",
        "back_left_door",
        "back_left_wheel",
        "back_left_window",
        "back_license_plate",
        "back_right_door",
        "back_right_wheel",
        "back_right_window",
        "back_windshield",
        "front_bumper",
        "front_left_door",
        "front_left_wheel",
        "front_left_window",
        "front_license_plate",
        "front_right_door",
        "front_right_wheel",
        "front_right_window",
        "front_windshield",
        "hood",
        "left_frame",
        "left_head_light",
        "left_mirror",
        "left_quarter_window",
        "left_tail_light",
        "right_frame",
        "right_head_light",
        "right_mirror",
        "right_quarter_window",
        "right_tail_light",
        "roof",
        "trunck"}},
      {"CGPart_car_simplified_v0",
       {"background", "back_bumper", "car_body", "door", "front_bumper", "head_light", "hood",
        "licence_plate", "mirror", "roof", "tail_light", "trunck", "wheel", "window",
        "windshield"}},
      {"CGPart_car_simplified_v1",
       {"background", "car_body", "door", "head_light", "licence_plate", "mirror", "tail_light",
        "wheel", "window", "windshield"}},
  };
  auto it = lists.find(name);
  if (it == lists.end()) throw InputError("unknown class list '" + name + "'");
  return it->second;
}

torch::Tensor remap_celeba_19_to_8(const torch::Tensor& labels) {
  // Rule order of the reference: non-zero -> skin(4); accessories, neck, cloth -> 0; then the
  // parts.
  static const Lut lut = make_lut(4, {{{14, 15, 16, 17, 18}, 0},
                                      {{2}, 7},
                                      {{4, 5}, 2},
                                      {{6, 7}, 3},
                                      {{8, 9}, 1},
                                      {{10, 11, 12}, 6},
                                      {{13}, 5}});  // 1 (skin) and 3 (glasses) stay skin
  return apply(labels, lut);
}

torch::Tensor remap_face_34_to_8(const torch::Tensor& labels) {
  static const Lut lut = make_lut(4, {{{25}, 0},
                                      {{4, 5, 6}, 1},
                                      {{7, 8, 9, 10, 11, 12, 13}, 2},
                                      {{14}, 3},
                                      {{17, 18}, 5},
                                      {{21, 22, 23, 24}, 6},
                                      {{26, 27, 28, 29, 30}, 7}});
  return apply(labels, lut);
}

torch::Tensor remap_cgpart_car(const torch::Tensor& labels, int version) {
  static const Lut v0 = make_lut(2, {{{1}, 1},
                                     {{10}, 4},
                                     {{5, 14}, 7},
                                     {{9, 18}, 14},
                                     {{2, 6, 11, 15}, 3},
                                     {{3, 7, 12, 16}, 12},
                                     {{4, 8, 13, 17, 23, 28}, 13},
                                     {{19}, 6},
                                     {{30}, 9},
                                     {{31}, 11},
                                     {{21, 26}, 5},
                                     {{22, 27}, 8},
                                     {{24, 29}, 10}});
  static const Lut v1 = make_lut(1, {{{2, 6, 11, 15}, 2},
                                     {{21, 26}, 3},
                                     {{5, 14}, 4},
                                     {{22, 27}, 5},
                                     {{24, 29}, 6},
                                     {{3, 7, 12, 16}, 7},
                                     {{4, 8, 13, 17, 23, 28}, 8},
                                     {{9, 18}, 9}});
  if (version != 0 && version != 1)
    throw InputError("CGPart car simplification: version must be 0 or 1");
  return apply(labels, version == 0 ? v0 : v1);
}

}  // namespace lagm::data

// The remapping tables of the paper's data sets, entry by entry against the reference's tables.
#include "lagm/data/class_remaps.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "lagm/core/error.h"
#include "lagm/core/numpy_random.h"
#include "test_support.h"

namespace lagm::data {
namespace {

std::vector<int> remap_all(const std::function<torch::Tensor(const torch::Tensor&)>& f, int n) {
  auto out = f(torch::arange(n, torch::kInt64)).to(torch::kInt64);
  return std::vector<int>(out.data_ptr<int64_t>(), out.data_ptr<int64_t>() + n);
}

TEST(ClassRemaps, CelebA19To8) {
  // background skin nose eye_g l_eye r_eye l_brow r_brow l_ear r_ear mouth u_lip l_lip hair hat
  // ear_r neck_l neck cloth
  const std::vector<int> expected = {0, 4, 7, 4, 2, 2, 3, 3, 1, 1, 6, 6, 6, 5, 0, 0, 0, 0, 0};
  EXPECT_EQ(remap_all(remap_celeba_19_to_8, 19), expected);
  EXPECT_EQ(class_list("celebA_8"), (std::vector<std::string>{"background", "ear", "eye", "eyebrow",
                                                              "skin", "hair", "mouth", "nose"}));
  EXPECT_EQ(class_list("celebA_19").size(), 19u);
}

TEST(ClassRemaps, Face34To8) {
  std::vector<int> expected(34, 4);  // everything non-zero is skin unless a rule says otherwise
  expected[0] = 0;
  expected[25] = 0;  // neck
  for (int s : {4, 5, 6}) expected[s] = 1;
  for (int s = 7; s <= 13; ++s) expected[s] = 2;
  expected[14] = 3;
  for (int s : {17, 18}) expected[s] = 5;
  for (int s : {21, 22, 23, 24}) expected[s] = 6;
  for (int s = 26; s <= 30; ++s) expected[s] = 7;
  EXPECT_EQ(remap_all(remap_face_34_to_8, 34), expected);
  EXPECT_EQ(class_list("dg_face").size(), 34u);
  EXPECT_EQ(class_list("dg_face")[25], "neck");
}

TEST(ClassRemaps, CGPartCarSimplified) {
  // Source order: background, back_bumper, back_left_door, back_left_wheel, back_left_window,
  // back_license_plate, back_right_door, back_right_wheel, back_right_window, back_windshield,
  // front_bumper, front_left_door, front_left_wheel, front_left_window, front_license_plate,
  // front_right_door, front_right_wheel, front_right_window, front_windshield, hood, left_frame,
  // left_head_light, left_mirror, left_quarter_window, left_tail_light, right_frame,
  // right_head_light, right_mirror, right_quarter_window, right_tail_light, roof, trunck.
  const std::vector<int> v0 = {0,  1,  3,  12, 13, 7, 3, 12, 13, 14, 4, 3, 12, 13, 7, 3,
                               12, 13, 14, 6,  2,  5, 8, 13, 10, 2,  5, 8, 13, 10, 9, 11};
  const std::vector<int> v1 = {0, 1, 2, 7, 8, 4, 2, 7, 8, 9, 1, 2, 7, 8, 4, 2,
                               7, 8, 9, 1, 1, 3, 5, 8, 6, 1, 3, 5, 8, 6, 1, 1};
  EXPECT_EQ(remap_all([](const torch::Tensor& t) { return remap_cgpart_car(t, 0); }, 32), v0);
  EXPECT_EQ(remap_all([](const torch::Tensor& t) { return remap_cgpart_car(t, 1); }, 32), v1);
  const auto& n0 = class_list("CGPart_car_simplified_v0");
  ASSERT_EQ(n0.size(), 15u);
  EXPECT_EQ(n0[12], "wheel");
  EXPECT_EQ(n0[14], "windshield");
  EXPECT_EQ(class_list("CGPart_car_simplified_v1").size(), 10u);
  EXPECT_EQ(class_list("CGPart_car").size(), 32u);
  EXPECT_THROW(class_list("nope"), InputError);
}

TEST(NumpyShuffle, MatchesNumPyRandomShuffle) {
  const auto dir = lagm::test::fresh_temp_dir("np_shuffle");
  ASSERT_EQ(lagm::test::run_python_file("data_reference",
                                        {"numpy-shuffle", (dir / "order.txt").string(), "1000"}),
            0);
  std::ifstream in(dir / "order.txt");
  std::vector<int64_t> expected;
  for (int64_t v; in >> v;) expected.push_back(v);
  std::vector<int64_t> order(1000);
  for (int64_t i = 0; i < 1000; ++i) order[static_cast<size_t>(i)] = i;
  core::NumpyRandomState(0).shuffle(order);
  EXPECT_EQ(order, expected);
}

}  // namespace
}  // namespace lagm::data

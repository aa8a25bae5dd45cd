#include "lagm/io/resize.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "lagm/io/image.h"
#include "test_support.h"

namespace {

struct Case {
  int in_h, in_w, out_h, out_w;
};

}  // namespace

// Byte-exact against Pillow for down- and up-scaling, square and not, with each filter.
TEST(ResizePil, MatchesPillowExactly) {
  const auto dir = lagm::test::fresh_temp_dir("resize");
  const std::string d = dir.string();
  torch::manual_seed(3);
  auto img = torch::randint(0, 256, {61, 45, 3}, torch::kInt32).to(torch::kUInt8);
  // Smooth regions too, where rounding ties are likelier than in noise.
  img.narrow(0, 0, 20).copy_(torch::arange(45, torch::kInt32)
                                 .mul(5)
                                 .clamp_max(255)
                                 .to(torch::kUInt8)
                                 .view({1, 45, 1})
                                 .expand({20, 45, 3}));
  lagm::io::write_png(d + "/in.png", img);
  const std::vector<Case> cases = {
      {61, 45, 32, 32}, {61, 45, 128, 100}, {61, 45, 17, 61}, {61, 45, 61, 20}};
  for (const char* f : {"BICUBIC", "BILINEAR", "LANCZOS"}) {
    std::vector<std::string> args = {"pil-resize", d + "/in.png", d, f};
    for (const auto& c : cases)
      args.push_back(std::to_string(c.out_w) + "x" + std::to_string(c.out_h));
    ASSERT_EQ(lagm::test::run_python_file("io_reference", args), 0);
  }
  const std::pair<const char*, lagm::io::ResizeFilter> filters[] = {
      {"BICUBIC", lagm::io::ResizeFilter::kBicubic},
      {"BILINEAR", lagm::io::ResizeFilter::kBilinear},
      {"LANCZOS", lagm::io::ResizeFilter::kLanczos}};
  for (const auto& c : cases)
    for (const auto& [name, filter] : filters) {
      const std::string ref =
          d + "/" + name + std::to_string(c.out_h) + "x" + std::to_string(c.out_w) + ".png";
      auto expected = lagm::io::read_image(ref);
      auto got = lagm::io::resize_pil(img, c.out_h, c.out_w, filter);
      ASSERT_EQ(got.sizes(), expected.sizes());
      EXPECT_EQ((got.to(torch::kInt32) - expected.to(torch::kInt32)).abs().max().item<int>(), 0)
          << name << " " << c.out_h << "x" << c.out_w;
    }
}

TEST(ResizePil, NearestMatchesPillowForLabels) {
  const auto dir = lagm::test::fresh_temp_dir("nearest");
  const std::string d = dir.string();
  auto mask = torch::randint(0, 20, {37, 23}, torch::kInt32).to(torch::kUInt8);
  lagm::io::write_mask_png(d + "/m.png", mask);
  const std::vector<Case> cases = {
      {37, 23, 16, 16}, {37, 23, 100, 64}, {37, 23, 37, 7}, {37, 23, 512, 512}};
  std::vector<std::string> args = {"pil-resize", d + "/m.png", d, "NEAREST"};
  for (const auto& c : cases)
    args.push_back(std::to_string(c.out_w) + "x" + std::to_string(c.out_h));
  ASSERT_EQ(lagm::test::run_python_file("io_reference", args), 0);
  for (const auto& c : cases) {
    auto expected = lagm::io::read_mask_png(d + "/NEAREST" + std::to_string(c.out_h) + "x" +
                                            std::to_string(c.out_w) + ".png");
    auto got = lagm::io::resize_nearest_pil(mask, c.out_h, c.out_w);
    EXPECT_TRUE(torch::equal(got, expected)) << c.out_h << "x" << c.out_w;
  }
}

// PIL's nearest-neighbour rule at every ratio, not only square and integer ones: the indices PIL
// picks (an image of its column numbers resized) for every output size 1-300 from six input sizes,
// 1794 pairs. The CelebAMask-HQ loader's labels at [128, 96] differed from the reference's in 5-17
// pixels per image before (ties moved by PIL's running sum).
TEST(ResizePil, NearestIndicesArePillowsAtEveryRatio) {
  const auto dir = lagm::test::fresh_temp_dir("nearest_ratios");
  const std::vector<int64_t> inputs = {512, 256, 300, 1024, 40, 37};
  ASSERT_EQ(lagm::test::run_python_file("io_reference",
                                        {"pil-nearest-indices", (dir / "pil.txt").string()}),
            0);
  std::ifstream in(dir / "pil.txt");
  int mismatched = 0, pairs = 0;
  for (int64_t n_in : inputs)
    for (int64_t n_out = 1; n_out <= 300; ++n_out) {
      std::string line;
      ASSERT_TRUE(std::getline(in, line));
      std::istringstream values(line);
      const auto ours = lagm::io::pil_nearest_indices(n_in, n_out);
      bool same = true;
      for (int64_t i = 0; i < n_out; ++i) {
        int64_t v = -1;
        values >> v;
        same = same && v == ours[i].item<int64_t>();
      }
      mismatched += same ? 0 : 1;
      ++pairs;
    }
  EXPECT_EQ(pairs, 1800);
  EXPECT_EQ(mismatched, 0);
  // The example of the reference's CelebAMask-HQ labels at 96 px: 512 -> 96 maps pixel 4 to 23.
  EXPECT_EQ(lagm::io::pil_nearest_indices(512, 96)[4].item<int64_t>(), 23);
}

TEST(ResizePil, IdentityWhenSizeUnchanged) {
  auto img = torch::randint(0, 256, {8, 9, 3}, torch::kInt32).to(torch::kUInt8);
  EXPECT_TRUE(torch::equal(lagm::io::resize_pil(img, 8, 9), img));
}

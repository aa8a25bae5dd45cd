// Words in pictures and the small file writers predict uses: wrapped titles, glyphs that land where
// they are drawn, legends with one swatch per class, .npy and PNG text chunks that read back.
#include "lagm/io/text.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lagm/io/image.h"
#include "lagm/io/npy.h"
#include "test_support.h"

using lagm::io::wrap_text;

TEST(Text, WrapsAtSpacesAndUnderscoresAndCutsLongWords) {
  EXPECT_EQ(wrap_text("gradient matching (ours)", 10),
            (std::vector<std::string>{"gradient", "matching", "(ours)"}));
  EXPECT_EQ(wrap_text("few_label_finetuned", 10),
            (std::vector<std::string>{"few_label_", "finetuned"}));
  EXPECT_EQ(wrap_text("abcdefghijkl", 5), (std::vector<std::string>{"abcde", "fghij", "kl"}));
  EXPECT_EQ(wrap_text("image", 10), (std::vector<std::string>{"image"}));
  EXPECT_EQ(wrap_text("pseudo-labels", 10), (std::vector<std::string>{"pseudo-", "labels"}));
}

TEST(Text, GlyphsLandInsideTheirCellsAndAreClipped) {
  auto image = torch::zeros({20, 30, 3}, torch::kUInt8);
  lagm::io::draw_text(image, 2, 3, "A", {255, 0, 0});
  const auto red = image.select(2, 0);
  EXPECT_GT(red.sum().item<int64_t>(), 255 * 8);  // 'A' has more than 8 pixels
  // Nothing outside the 6x10 cell at (2, 3).
  auto outside = red.clone();
  outside.narrow(0, 3, 10).narrow(1, 2, 6).zero_();
  EXPECT_EQ(outside.sum().item<int64_t>(), 0);
  EXPECT_EQ(image.select(2, 1).sum().item<int64_t>(), 0);
  // Text running off the edge is clipped, not an error.
  lagm::io::draw_text(image, 25, 15, "WWWW", {0, 255, 0}, 2);
}

TEST(Text, LegendShowsEachClassColour) {
  const std::vector<std::string> names = {"background", "skin", "hair"};
  const auto colors = lagm::io::voc_colors(3);
  const auto legend = lagm::io::class_legend(names, colors, 200);
  for (size_t k = 1; k < colors.size(); ++k) {
    const auto c = torch::tensor({colors[k][0], colors[k][1], colors[k][2]}, torch::kUInt8);
    EXPECT_TRUE((legend == c).all(2).any().item<bool>()) << names[k];
  }
  const auto grid = torch::full({64, 192, 3}, 128, torch::kUInt8);
  const auto titled = lagm::io::titled_grid(grid, {"image", "truth", "gradient matching (ours)"},
                                            64, names, colors);
  EXPECT_EQ(titled.size(1), std::max<int64_t>(192, 240));
  EXPECT_GT(titled.size(0), 64 + 2 * lagm::io::kGlyphHeight);
}

TEST(Npy, WrittenArraysReadBack) {
  const auto dir = lagm::test::fresh_temp_dir("npy_write");
  const auto half = torch::rand({3, 5, 7}).to(torch::kHalf);
  lagm::io::write_npy((dir / "p.npy").string(), half);
  EXPECT_TRUE(torch::equal(lagm::io::read_npy((dir / "p.npy").string()), half));
  const auto one = torch::arange(4, torch::kInt64);
  lagm::io::write_npy((dir / "v.npy").string(), one);
  EXPECT_TRUE(torch::equal(lagm::io::read_npy((dir / "v.npy").string()), one));
  // numpy reads it as the same array.
  EXPECT_EQ(lagm::test::run_python_file("io_reference",
                                        {"check-npy-f16", (dir / "p.npy").string(), "3", "5", "7"}),
            0);
}

TEST(MaskPng, CarriesThePaletteAndTextChunks) {
  const auto dir = lagm::test::fresh_temp_dir("mask_text");
  const auto path = (dir / "m.png").string();
  const auto mask = torch::tensor({0, 1, 2, 1}, torch::kUInt8).view({2, 2});
  lagm::io::write_mask_png(path, mask, {{1, 2, 3}, {250, 0, 0}, {0, 0, 250}},
                           {{"lagm:classes", "[\"a\",\"b\",\"c\"]"}});
  EXPECT_TRUE(torch::equal(lagm::io::read_mask_png(path), mask));
  const auto text = lagm::io::read_png_text(path);
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text[0].second, "[\"a\",\"b\",\"c\"]");
  EXPECT_EQ(lagm::test::run_python_file(
                "io_reference", {"check-mask-text", path, "lagm:classes", R"(["a","b","c"])"}),
            0);
}

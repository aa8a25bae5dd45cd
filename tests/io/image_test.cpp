#include "lagm/io/image.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "lagm/core/error.h"
#include "test_support.h"

using ::testing::HasSubstr;

TEST(Image, PngRgbRoundTrip) {
  const auto dir = lagm::test::fresh_temp_dir("png");
  torch::manual_seed(1);
  auto img = torch::randint(0, 256, {7, 11, 3}, torch::kInt32).to(torch::kUInt8);
  lagm::io::write_png((dir / "a.png").string(), img);
  EXPECT_TRUE(torch::equal(lagm::io::read_image((dir / "a.png").string()), img));
}

TEST(Image, MaskRoundTripKeepsIndicesAndUsesVocPalette) {
  const auto dir = lagm::test::fresh_temp_dir("mask");
  auto mask = torch::randint(0, 21, {9, 5}, torch::kInt32).to(torch::kUInt8);
  mask[0][0] = 255;
  const auto path = (dir / "m.png").string();
  lagm::io::write_mask_png(path, mask);
  EXPECT_TRUE(torch::equal(lagm::io::read_mask_png(path), mask));
  // PIL sees a P-mode image whose indices are the classes and whose palette is VOC's.
  ASSERT_EQ(lagm::test::run_python_file("io_reference", {"check-voc-palette", path}), 0);
}

TEST(Image, VocPaletteMatchesKnownColours) {
  const auto& p = lagm::io::voc_palette();
  EXPECT_EQ((std::array<int, 3>{p[0], p[1], p[2]}), (std::array<int, 3>{0, 0, 0}));
  EXPECT_EQ((std::array<int, 3>{p[3], p[4], p[5]}), (std::array<int, 3>{128, 0, 0}));
  EXPECT_EQ((std::array<int, 3>{p[60], p[61], p[62]}),
            (std::array<int, 3>{0, 64, 128}));  // class 20
  EXPECT_EQ((std::array<int, 3>{p[765], p[766], p[767]}),
            (std::array<int, 3>{224, 224, 192}));  // 255
}

TEST(Image, ReadsGrayRgbaPaletteAndJpegLikePil) {
  const auto dir = lagm::test::fresh_temp_dir("pil");
  const std::string d = dir.string();
  // PIL writes each kind of file and its own convert('RGB') decoding as a plain RGB PNG.
  ASSERT_EQ(lagm::test::run_python_file("io_reference", {"image-formats", d}), 0);
  for (const char* name : {"photo.jpg", "gray.png", "rgba.png", "pal.png", "gray.jpg"}) {
    auto got = lagm::io::read_image(d + "/" + name);
    auto ref = lagm::io::read_image(d + "/" + name + ".ref.png");
    ASSERT_EQ(got.sizes(), ref.sizes()) << name;
    EXPECT_EQ((got.to(torch::kInt32) - ref.to(torch::kInt32)).abs().max().item<int>(), 0) << name;
  }
}

TEST(Image, RejectsTruncatedAndForeignFiles) {
  const auto dir = lagm::test::fresh_temp_dir("bad");
  auto img = torch::zeros({32, 32, 3}, torch::kUInt8);
  const auto path = (dir / "t.png").string();
  lagm::io::write_png(path, img);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  try {
    lagm::io::read_image(path);
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path + ": invalid PNG"));
  }
  std::ofstream(dir / "x.png") << "hello";
  EXPECT_THROW(lagm::io::read_image((dir / "x.png").string()), lagm::InputError);
  std::ofstream(dir / "x.jpg", std::ios::binary) << std::string("\xff\xd8\xff\xe0garbage", 11);
  try {
    lagm::io::read_image((dir / "x.jpg").string());
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("invalid JPEG"));
  }
}

TEST(Image, MaskReaderRefusesRgb) {
  const auto dir = lagm::test::fresh_temp_dir("rgbmask");
  lagm::io::write_png((dir / "rgb.png").string(), torch::zeros({4, 4, 3}, torch::kUInt8));
  try {
    lagm::io::read_mask_png((dir / "rgb.png").string());
    FAIL();
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("palette or 8-bit gray"));
  }
}

// A 16-bit gray mask holding classes 0-7 (and one 257) must not be read through its high byte.
TEST(Image, MaskReaderRefuses16BitGray) {
  const auto dir = lagm::test::fresh_temp_dir("mask16");
  const auto path = (dir / "m16.png").string();
  ASSERT_EQ(lagm::test::run_python_file("io_reference", {"uint16-png", path}), 0);
  try {
    lagm::io::read_mask_png(path);
    FAIL() << "a 16-bit mask was read";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("16-bit"));
  }
}

TEST(Image, FloatConversionsMatchReference) {
  auto x = torch::tensor({-1.5f, -1.0f, 0.0f, 0.999f, 1.0f}).view({1, 5, 1}).expand({3, 5, 1});
  auto u = lagm::io::to_uint8_image(x);  // [5, 1, 3]
  auto vals = u.select(2, 0).reshape(-1).to(torch::kInt32);
  EXPECT_TRUE(torch::equal(vals, torch::tensor({0, 0, 128, 255, 255}, torch::kInt32)));
  auto back = lagm::io::to_float_image(torch::full({2, 2, 3}, 255, torch::kUInt8));
  EXPECT_FLOAT_EQ(back[0][0][0].item<float>(), 1.0f);
}

// The `faces` domain: determinism, style independence of the scene, part visibility at 64x64,
// resolution consistency of the masks.
#include "lagm/toy/faces.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "lagm/core/error.h"
#include "lagm/toy/domain.h"

namespace lagm::toy {
namespace {

constexpr int kEyes = 3, kBrows = 4;

TEST(Faces, SameSeedGivesTheSameBytesAndSeedsDiffer) {
  const auto a = render_face(7, Style::kPhoto, 64), b = render_face(7, Style::kPhoto, 64);
  EXPECT_EQ(a.rgb, b.rgb);
  EXPECT_EQ(a.labels, b.labels);
  const auto c = render_face(8, Style::kPhoto, 64);
  EXPECT_NE(a.rgb, c.rgb);
  EXPECT_NE(a.labels, c.labels);
}

TEST(Faces, PhotoAndFlatShareTheSceneButNotTheLook) {
  for (uint64_t seed : {0, 1, 2}) {
    const auto photo = render_face(seed, Style::kPhoto, 64),
               flat = render_face(seed, Style::kFlat, 64);
    EXPECT_EQ(photo.labels, flat.labels) << "seed " << seed;
    double diff = 0;
    for (size_t i = 0; i < photo.rgb.size(); ++i) diff += std::abs(photo.rgb[i] - flat.rgb[i]);
    EXPECT_GT(diff / static_cast<double>(photo.rgb.size()), 20.0) << "seed " << seed;
  }
}

TEST(Faces, EveryPartIsLargeEnoughToLearnAt64) {
  const auto& names = face_class_names();
  ASSERT_EQ(names.size(), 8u);
  // Minimum pixel counts a small GAN can draw (eyes, mouth, nose several pixels across).
  const std::array<int, 8> min_pixels = {200, 200, 40, 16, 8, 10, 10, 3};
  std::array<int, 8> images_with_part{};
  int thick_brows = 0;
  const int n = 60;
  for (int seed = 0; seed < n; ++seed) {
    const auto r = render_face(static_cast<uint64_t>(seed), Style::kPhoto, 64);
    std::array<int, 8> count{};
    for (auto l : r.labels) ++count.at(l);
    for (size_t c = 0; c < 8; ++c) images_with_part[c] += count[c] >= min_pixels[c];
    // Brows at least 2 px thick: some column holds a vertical run of >= 2 brow pixels.
    int best_run = 0;
    for (int64_t x = 0; x < 64; ++x) {
      int run = 0;
      for (int64_t y = 0; y < 64; ++y) {
        run = r.labels[static_cast<size_t>(y * 64 + x)] == kBrows ? run + 1 : 0;
        best_run = std::max(best_run, run);
      }
    }
    thick_brows += best_run >= 2;
  }
  for (size_t c = 0; c < 8; ++c)
    EXPECT_GE(images_with_part[c], c == 7 ? n * 8 / 10 : n * 95 / 100) << names[c];
  EXPECT_GE(thick_brows, n * 95 / 100);
}

TEST(Faces, TwoEyesAreSeparateRegions) {
  // The eye class forms two blobs left and right of the face centre in a frontal render.
  const auto r = render_face(3, Style::kPhoto, 64);
  int64_t min_x = 64, max_x = -1;
  std::vector<int> columns(64, 0);
  for (int64_t y = 0; y < 64; ++y)
    for (int64_t x = 0; x < 64; ++x)
      if (r.labels[static_cast<size_t>(y * 64 + x)] == kEyes) {
        ++columns[static_cast<size_t>(x)];
        min_x = std::min(min_x, x), max_x = std::max(max_x, x);
      }
  ASSERT_GE(max_x, 0);
  bool gap = false;
  for (int64_t x = min_x; x <= max_x; ++x) gap = gap || columns[static_cast<size_t>(x)] == 0;
  EXPECT_TRUE(gap) << "the eye pixels form one connected band";
}

TEST(Faces, MasksAgreeAcrossResolutionsAndSupersampling) {
  for (uint64_t seed : {11, 12}) {
    const auto low = render_face(seed, Style::kPhoto, 64),
               high = render_face(seed, Style::kPhoto, 128);
    const auto single = render_face(seed, Style::kPhoto, 64, 1);
    int same_res = 0, same_ss = 0;
    for (int64_t y = 0; y < 64; ++y)
      for (int64_t x = 0; x < 64; ++x) {
        // Pixel (x, y) at 64 covers (2x..2x+1, 2y..2y+1) at 128.
        const auto l = low.labels[static_cast<size_t>(y * 64 + x)];
        std::array<int, 8> votes{};
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx)
            ++votes.at(high.labels[static_cast<size_t>((2 * y + dy) * 128 + 2 * x + dx)]);
        same_res += votes[l] > 0;
        same_ss += single.labels[static_cast<size_t>(y * 64 + x)] == l;
      }
    EXPECT_GT(same_res, 64 * 64 * 98 / 100) << "seed " << seed;
    EXPECT_GT(same_ss, 64 * 64 * 93 / 100) << "seed " << seed;
    EXPECT_LT(same_ss, 64 * 64) << "supersampling changed nothing at part edges";
  }
}

TEST(Domains, UnknownNamesAreUsageErrors) {
  EXPECT_EQ(find_domain("faces").class_names.size(), 8u);
  EXPECT_THROW(find_domain("cars"), UsageError);
  EXPECT_THROW(parse_style("sketch"), UsageError);
  EXPECT_EQ(parse_style("flat"), Style::kFlat);
}

}  // namespace
}  // namespace lagm::toy

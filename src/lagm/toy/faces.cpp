#include "lagm/toy/faces.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "lagm/toy/face_scene.h"
#include "lagm/toy/random.h"

namespace lagm::toy {
namespace {

using namespace face;  // Scene, Look, Rgb and the part labels kSkin, kHair, ...

double smoothstep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

/// An axis-aligned ellipse test in local coordinates: q < 1 inside; sd ~ signed distance.
struct EllipseHit {
  double q, sd, a, b;  // a, b: coordinates normalised by the radii
};
EllipseHit ellipse(double u, double v, double cx, double cy, double rx, double ry) {
  const double a = (u - cx) / rx, b = (v - cy) / ry;
  const double q = std::sqrt(a * a + b * b);
  return {q, (q - 1) * std::min(rx, ry), a, b};
}

struct Hit {
  Rgb color;
  uint8_t label;
};

class FacePainter {
 public:
  FacePainter(const Scene& s, const Look& k) : s_(s), k_(k) {}

  /// Colour and label at normalised image position (x, y) in [0, 1]^2.
  Hit paint(double x, double y) const {
    const double dx = x - s_.cx, dy = y - s_.cy;
    const double u = (s_.cos_a * dx + s_.sin_a * dy) / s_.size;
    const double v = (-s_.sin_a * dx + s_.cos_a * dy) / s_.size;

    // Top to bottom: the first shape that contains the point wins.
    if (auto h = mouth(u, v)) return *h;
    if (auto h = nose(u, v)) return *h;
    if (auto h = brows(u, v)) return *h;
    if (auto h = eyes(u, v)) return *h;
    if (auto h = head(u, v)) return *h;
    if (auto h = ears(u, v)) return *h;
    if (auto h = neck(u, v)) return *h;
    if (auto h = hair_back(u, v)) return *h;
    if (auto h = clothes(u, v)) return *h;
    return background(x, y);
  }

 private:
  using MaybeHit = std::optional<Hit>;

  double lambert(double nx, double ny) const {
    if (!k_.shaded) return 1.0;
    const double nz = std::sqrt(std::max(0.0, 1 - nx * nx - ny * ny));
    return k_.ambient +
           (1 - k_.ambient) * 1.15 * std::max(0.0, nx * k_.lx + ny * k_.ly + nz * k_.lz);
  }
  /// Flat style: a dark outline along the inside of every part's edge.
  Hit finish(Rgb color, uint8_t label, double sd) const {
    if (k_.outlined && sd > -k_.outline_width) color = color * 0.2;
    return {color, label};
  }
  double hair_texture(double u, double v) const {
    if (!k_.shaded) return 1.0;
    const double theta = std::atan2(u, v + 1.6);
    return 1 + 0.16 * std::sin(k_.hair_freq * theta + k_.hair_phase + 1.5 * std::sin(3 * theta));
  }

  MaybeHit mouth(double u, double v) const {
    const double a = u / s_.mouth_w;
    if (std::abs(a) >= 1) return {};
    const double center = s_.mouth_y - s_.mouth_curve * (1 - a * a);
    const double half = s_.mouth_t * std::sqrt(1 - a * a) + 0.02;
    const double d = std::abs(v - center);
    if (d >= half) return {};
    Rgb c = d < 0.3 * half ? Rgb{0.30, 0.08, 0.08}
                           : k_.lips * lambert(a * 0.5, (v - center) / half * 0.5);
    return finish(c, kMouth, std::max(d - half, (std::abs(a) - 1) * s_.mouth_w));
  }

  MaybeHit nose(double u, double v) const {
    const auto e = ellipse(u, v, 0, s_.nose_y, s_.nose_rx, s_.nose_ry);
    if (e.q >= 1) return {};
    Rgb c = k_.skin * (0.9 * lambert(0.8 * e.a, 0.6 * e.b));
    for (double side : {-1.0, 1.0}) {
      const auto n = ellipse(u, v, side * s_.nose_rx * 0.45, s_.nose_y + s_.nose_ry * 0.5,
                             s_.nose_rx * 0.25, s_.nose_ry * 0.18);
      if (n.q < 1) c = k_.skin * 0.4;
    }
    return finish(c, kNose, e.sd);
  }

  MaybeHit brows(double u, double v) const {
    for (double side : {-1.0, 1.0}) {
      // A capsule between the inner and outer end; positive tilt lowers the inner end.
      const double yc = s_.eye_y - s_.eye_ry - s_.brow_gap;
      const double x0 = side * (s_.eye_dx - s_.brow_len / 2), y0 = yc + s_.brow_tilt;
      const double x1 = side * (s_.eye_dx + s_.brow_len / 2), y1 = yc - s_.brow_tilt;
      const double ex = x1 - x0, ey = y1 - y0;
      const double t = std::clamp(((u - x0) * ex + (v - y0) * ey) / (ex * ex + ey * ey), 0.0, 1.0);
      const double px = u - (x0 + t * ex), py = v - (y0 + t * ey);
      const double sd = std::sqrt(px * px + py * py) - s_.brow_thick / 2;
      if (sd < 0) return finish(k_.hair * (0.6 * hair_texture(u, v)), kBrows, sd);
    }
    return {};
  }

  MaybeHit eyes(double u, double v) const {
    for (double side : {-1.0, 1.0}) {
      const auto e = ellipse(u, v, side * s_.eye_dx, s_.eye_y, s_.eye_rx, s_.eye_ry);
      if (e.q >= 1) continue;
      const double ix = side * s_.eye_dx + s_.gaze_x * s_.eye_rx * 0.45;
      const double iy = s_.eye_y + s_.gaze_y * s_.eye_ry * 0.3;
      const double ir = 0.8 * s_.eye_ry;
      const double d = std::hypot(u - ix, v - iy);
      Rgb c = d < 0.45 * ir ? Rgb{0.04, 0.04, 0.05} : d < ir ? k_.iris : k_.sclera;
      if (k_.shaded) c = c * (0.7 + 0.3 * smoothstep(-1.0, 0.2, e.b));  // the upper lid's shadow
      return finish(c, kEyes, e.sd);
    }
    return {};
  }

  double head_rx(double v) const { return v > 0 ? s_.face_rx * (1 - s_.jaw * v * v) : s_.face_rx; }
  double hairline(double u) const {
    return s_.hairline + s_.hair_slope * u +
           s_.hair_wave_amp * std::sin(14 * u + s_.hair_wave_phase);
  }

  MaybeHit head(double u, double v) const {
    const auto e = ellipse(u, v, 0, 0, head_rx(v), 1.0);
    if (e.q >= 1) return {};
    const double to_hairline = v - hairline(u);
    if (to_hairline < 0)
      return finish(k_.hair * (lambert(e.a, e.b) * hair_texture(u, v)), kHair,
                    std::max(e.sd, to_hairline));
    return finish(k_.skin * lambert(e.a, e.b), kSkin, std::max(e.sd, -to_hairline));
  }

  MaybeHit ears(double u, double v) const {
    for (double side : {-1.0, 1.0}) {
      const auto e = ellipse(u, v, side * s_.face_rx * 0.97, s_.ear_y, s_.ear_rx, s_.ear_ry);
      if (e.q >= 1) continue;
      const double shade = e.q < 0.55 ? 0.75 : 0.95;
      return finish(k_.skin * (shade * lambert(e.a * 0.7, e.b * 0.7)), kEars, e.sd);
    }
    return {};
  }

  MaybeHit neck(double u, double v) const {
    if (v < 0.5 || v > 1.8 || std::abs(u) >= s_.neck_w) return {};
    return finish(k_.skin * (0.8 * lambert(u / s_.neck_w, 0)), kSkin, std::abs(u) - s_.neck_w);
  }

  MaybeHit hair_back(double u, double v) const {
    const double vc = -0.08;
    double q, ry;
    if (v < vc) {
      ry = s_.hair_top;
      q = std::hypot(u / s_.hair_width, (v - vc) / ry);
    } else {
      // Below the crown: a rounded box down to the hair's length.
      ry = std::max(0.05, s_.hair_bottom - vc);
      q = std::pow(std::pow(std::abs(u) / s_.hair_width, 4) + std::pow((v - vc) / ry, 4), 0.25);
    }
    if (q >= 1) return {};
    const double sd = (q - 1) * std::min(s_.hair_width, ry);
    return finish(
        k_.hair * (0.85 * lambert(u / s_.hair_width * 0.9, std::clamp((v - vc) / ry, -0.9, 0.9)) *
                   hair_texture(u, v)),
        kHair, sd);
  }

  MaybeHit clothes(double u, double v) const {
    const auto e = ellipse(u, v, 0, 1.95, s_.clothes_rx, 0.75);
    if (e.q >= 1) return {};
    return finish(k_.clothes * lambert(e.a * 0.8, e.b * 0.8), kBackground, e.sd);
  }

  Hit background(double x, double y) const {
    const double t =
        0.5 + 0.7 * ((x - 0.5) * std::cos(s_.bg_angle) + (y - 0.5) * std::sin(s_.bg_angle));
    Rgb c = mix(k_.bg0, k_.bg1, std::clamp(t, 0.0, 1.0));
    for (size_t i = 0; i < s_.blobs.size(); ++i) {
      const auto& b = s_.blobs[i];
      const double q = std::hypot((x - b.x) / b.rx, (y - b.y) / b.ry);
      const double alpha =
          k_.blob_softness > 0 ? 1 - smoothstep(1 - k_.blob_softness, 1.0, q) : (q < 1 ? 1.0 : 0.0);
      c = mix(c, k_.blob_colors[i], 0.8 * alpha);
    }
    return {c, kBackground};
  }

  const Scene& s_;
  const Look& k_;
};

/// Separable Gaussian blur of an [H, W, 3] float image, edges clamped.
void gaussian_blur(std::vector<double>& img, int64_t h, int64_t w, double sigma) {
  if (sigma <= 0) return;
  const int64_t radius = static_cast<int64_t>(std::ceil(3 * sigma));
  std::vector<double> kernel(static_cast<size_t>(2 * radius + 1));
  double sum = 0;
  for (int64_t i = -radius; i <= radius; ++i)
    sum += kernel[static_cast<size_t>(i + radius)] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (auto& k : kernel) k /= sum;
  std::vector<double> tmp(img.size());
  auto pass = [&](const std::vector<double>& src, std::vector<double>& dst, bool horizontal) {
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int c = 0; c < 3; ++c) {
          double acc = 0;
          for (int64_t i = -radius; i <= radius; ++i) {
            const int64_t sx = horizontal ? std::clamp<int64_t>(x + i, 0, w - 1) : x;
            const int64_t sy = horizontal ? y : std::clamp<int64_t>(y + i, 0, h - 1);
            acc += kernel[static_cast<size_t>(i + radius)] *
                   src[static_cast<size_t>((sy * w + sx) * 3 + c)];
          }
          dst[static_cast<size_t>((y * w + x) * 3 + c)] = acc;
        }
  };
  pass(img, tmp, true);
  pass(tmp, img, false);
}

}  // namespace

const std::vector<std::string>& face_class_names() {
  static const std::vector<std::string> names = {"background", "skin", "hair",  "eyes",
                                                 "brows",      "nose", "mouth", "ears"};
  return names;
}

RenderedImage render_face(uint64_t seed, Style style, int64_t resolution, int supersample) {
  const Scene scene = sample_scene(seed);
  const Look look = sample_look(seed, style, static_cast<int>(scene.blobs.size()));
  const FacePainter painter(scene, look);
  const int64_t n = resolution, s = std::max(1, supersample);

  RenderedImage out;
  out.height = out.width = n;
  out.labels.resize(static_cast<size_t>(n * n));
  std::vector<double> color(static_cast<size_t>(n * n * 3));
  for (int64_t y = 0; y < n; ++y)
    for (int64_t x = 0; x < n; ++x) {
      std::array<int, kNumLabels> votes{};
      Rgb sum;
      for (int64_t sy = 0; sy < s; ++sy)
        for (int64_t sx = 0; sx < s; ++sx) {
          const Hit hit = painter.paint(
              (static_cast<double>(x) + (static_cast<double>(sx) + 0.5) / static_cast<double>(s)) /
                  static_cast<double>(n),
              (static_cast<double>(y) + (static_cast<double>(sy) + 0.5) / static_cast<double>(s)) /
                  static_cast<double>(n));
          sum = sum + hit.color;
          ++votes[hit.label];
        }
      int best = 0;
      for (int c = 1; c < kNumLabels; ++c)
        if (votes[static_cast<size_t>(c)] >= votes[static_cast<size_t>(best)]) best = c;
      const auto p = static_cast<size_t>(y * n + x);
      out.labels[p] = static_cast<uint8_t>(best);
      const double inv = 1.0 / static_cast<double>(s * s);
      color[p * 3] = sum.r * inv * look.gains.r;
      color[p * 3 + 1] = sum.g * inv * look.gains.g;
      color[p * 3 + 2] = sum.b * inv * look.gains.b;
    }

  // Camera effects (photo): optical blur in output pixels, then sensor noise.
  gaussian_blur(color, n, n, look.blur_sigma * static_cast<double>(n) / 64.0);
  if (look.noise_sigma > 0) {
    Random noise(mix_seed(seed, 4));
    for (auto& c : color) c += look.noise_sigma * noise.normal();
  }
  out.rgb.resize(color.size());
  for (size_t i = 0; i < color.size(); ++i)
    out.rgb[i] = static_cast<uint8_t>(std::lround(std::clamp(color[i], 0.0, 1.0) * 255.0));
  return out;
}

}  // namespace lagm::toy

#include "lagm/toy/face_scene.h"

#include <algorithm>
#include <cmath>

#include "lagm/toy/random.h"

namespace lagm::toy::face {
namespace {

Rgb pick(Random& r, const std::vector<Rgb>& palette, double jitter) {
  const auto i = static_cast<size_t>(r.index(static_cast<int64_t>(palette.size())));
  const auto j = std::min(i + 1, palette.size() - 1);
  Rgb c = mix(palette[i], palette[j], r.uniform());
  return {std::clamp(c.r + r.uniform(-jitter, jitter), 0.0, 1.0),
          std::clamp(c.g + r.uniform(-jitter, jitter), 0.0, 1.0),
          std::clamp(c.b + r.uniform(-jitter, jitter), 0.0, 1.0)};
}

Rgb muted(Random& r, double lo, double hi, double desaturate) {
  Rgb c{r.uniform(lo, hi), r.uniform(lo, hi), r.uniform(lo, hi)};
  const double gray = (c.r + c.g + c.b) / 3;
  return mix(c, {gray, gray, gray}, desaturate);
}

}  // namespace

Scene sample_scene(uint64_t seed) {
  Random r(mix_seed(seed, 1));
  Scene s;
  s.size = r.uniform(0.27, 0.35);
  s.cx = 0.5 + r.uniform(-0.08, 0.08);
  s.cy = r.uniform(0.47, 0.56);
  const double angle = r.uniform(-0.25, 0.25);
  s.cos_a = std::cos(angle);
  s.sin_a = std::sin(angle);
  s.face_rx = r.uniform(0.74, 0.88);
  s.jaw = r.uniform(0.08, 0.3);
  s.hair_width = s.face_rx + r.uniform(0.12, 0.3);
  s.hair_top = r.uniform(1.12, 1.25);
  s.hair_bottom = r.chance(0.5) ? r.uniform(-0.3, 0.2) : r.uniform(0.5, 1.5);
  s.hairline = r.uniform(-0.78, -0.5);
  s.hair_slope = r.uniform(-0.25, 0.25);
  s.hair_wave_amp = r.uniform(0.0, 0.06);
  s.hair_wave_phase = r.uniform(0, 6.283);
  s.eye_y = r.uniform(-0.12, 0.0);
  s.eye_dx = r.uniform(0.3, 0.37);
  const double eye_scale = r.uniform(0.85, 1.15);
  s.eye_rx = 0.19 * eye_scale;
  s.eye_ry = r.uniform(0.1, 0.14) * eye_scale;
  s.gaze_x = r.uniform(-0.35, 0.35);
  s.gaze_y = r.uniform(-0.2, 0.2);
  s.brow_gap = r.uniform(0.1, 0.17);
  s.brow_tilt = r.uniform(-0.08, 0.08);
  s.brow_thick = r.uniform(0.12, 0.16);
  s.brow_len = r.uniform(0.28, 0.36);
  s.nose_y = r.uniform(0.14, 0.24);
  s.nose_rx = r.uniform(0.1, 0.15);
  s.nose_ry = r.uniform(0.13, 0.2);
  s.mouth_y = r.uniform(0.5, 0.6);
  s.mouth_w = r.uniform(0.24, 0.34);
  s.mouth_t = r.uniform(0.07, 0.11);
  s.mouth_curve = r.uniform(-0.14, 0.1);
  s.ear_rx = r.uniform(0.11, 0.15);
  s.ear_ry = r.uniform(0.18, 0.24);
  s.ear_y = r.uniform(-0.1, 0.05);
  s.neck_w = r.uniform(0.3, 0.4);
  s.clothes_rx = r.uniform(1.3, 1.7);
  s.bg_angle = r.uniform(0, 6.283);
  const int64_t num_blobs = 3 + r.index(5);
  for (int64_t i = 0; i < num_blobs; ++i)
    s.blobs.push_back(
        {r.uniform(0, 1), r.uniform(0, 1), r.uniform(0.05, 0.25), r.uniform(0.05, 0.25)});
  return s;
}

Look sample_look(uint64_t seed, Style style, int num_blobs) {
  Random r(mix_seed(seed, style == Style::kPhoto ? 2 : 3));
  Look k;
  k.shaded = style == Style::kPhoto;
  k.outlined = style == Style::kFlat;
  if (style == Style::kPhoto) {
    k.skin = pick(r,
                  {{0.96, 0.80, 0.69},
                   {0.87, 0.67, 0.53},
                   {0.72, 0.52, 0.38},
                   {0.50, 0.34, 0.24},
                   {0.36, 0.24, 0.17}},
                  0.03);
    k.hair = pick(r,
                  {{0.08, 0.07, 0.06},
                   {0.25, 0.15, 0.08},
                   {0.45, 0.30, 0.15},
                   {0.85, 0.70, 0.40},
                   {0.60, 0.25, 0.10},
                   {0.62, 0.60, 0.58}},
                  0.03);
    k.iris = pick(
        r, {{0.25, 0.45, 0.75}, {0.30, 0.55, 0.30}, {0.40, 0.25, 0.12}, {0.45, 0.48, 0.50}}, 0.05);
    k.lips = mix(k.skin, {0.75, 0.25, 0.28}, r.uniform(0.45, 0.75));
    k.sclera = {0.92, 0.90, 0.87};
    k.clothes = muted(r, 0.05, 0.9, 0.3);
    k.bg0 = muted(r, 0.15, 0.85, 0.5);
    k.bg1 = muted(r, 0.15, 0.85, 0.5);
    for (int i = 0; i < num_blobs; ++i) k.blob_colors.push_back(muted(r, 0.1, 0.9, 0.4));
    k.blob_softness = 0.6;
    k.lx = r.uniform(-0.8, 0.8);
    k.ly = r.uniform(-0.8, 0.3);
    k.lz = r.uniform(0.6, 1.0);
    const double n = std::sqrt(k.lx * k.lx + k.ly * k.ly + k.lz * k.lz);
    k.lx /= n, k.ly /= n, k.lz /= n;
    k.ambient = r.uniform(0.35, 0.55);
    k.hair_freq = r.uniform(18, 40);
    k.hair_phase = r.uniform(0, 6.283);
    k.blur_sigma = r.uniform(0.3, 0.8);
    k.noise_sigma = r.uniform(0.005, 0.03);
    const double exposure = r.uniform(0.88, 1.1);
    k.gains = {exposure * r.uniform(0.94, 1.06), exposure * r.uniform(0.94, 1.06),
               exposure * r.uniform(0.94, 1.06)};
    k.outline_width = 0;
  } else {
    // A cartoon palette: lighter, more saturated skins and unnatural hair colours.
    k.skin = pick(
        r, {{1.00, 0.87, 0.74}, {0.99, 0.76, 0.58}, {0.84, 0.62, 0.44}, {0.62, 0.44, 0.30}}, 0.02);
    k.hair = pick(r,
                  {{0.20, 0.30, 0.80},
                   {0.90, 0.30, 0.50},
                   {0.30, 0.70, 0.30},
                   {0.10, 0.10, 0.12},
                   {0.95, 0.80, 0.20},
                   {0.60, 0.30, 0.80},
                   {0.85, 0.45, 0.15}},
                  0.02);
    k.iris = pick(
        r, {{0.10, 0.50, 0.90}, {0.10, 0.70, 0.40}, {0.50, 0.20, 0.70}, {0.30, 0.18, 0.08}}, 0.02);
    k.lips = {0.90, 0.25, 0.30};
    k.sclera = {1.0, 1.0, 1.0};
    k.clothes = muted(r, 0.2, 1.0, 0.0);
    k.bg0 = muted(r, 0.6, 1.0, 0.2);
    k.bg1 = muted(r, 0.6, 1.0, 0.2);
    for (int i = 0; i < num_blobs; ++i) k.blob_colors.push_back(muted(r, 0.5, 1.0, 0.1));
    k.blob_softness = 0.0;
    k.lx = 0, k.ly = 0, k.lz = 1, k.ambient = 1;
    k.hair_freq = 0, k.hair_phase = 0;
    k.blur_sigma = 0, k.noise_sigma = 0;
    k.gains = {1, 1, 1};
    k.outline_width = 0.05;
  }
  return k;
}

}  // namespace lagm::toy::face

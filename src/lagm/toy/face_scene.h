// The random part of a `faces` picture: its geometry (from the seed) and its look (colours,
// lighting, blur and noise, from the seed and the style). faces.cpp paints them; keeping the draws
// here, in their fixed order, is what makes a seed name the same picture everywhere.
#pragma once

#include <cstdint>
#include <vector>

#include "lagm/toy/rendered_image.h"

namespace lagm::toy::face {

enum Label : uint8_t {
  kBackground = 0,
  kSkin,
  kHair,
  kEyes,
  kBrows,
  kNose,
  kMouth,
  kEars,
  kNumLabels
};

struct Rgb {
  double r = 0, g = 0, b = 0;
};
inline Rgb operator*(Rgb c, double s) { return {c.r * s, c.g * s, c.b * s}; }
inline Rgb operator+(Rgb a, Rgb b) { return {a.r + b.r, a.g + b.g, a.b + b.b}; }
inline Rgb mix(Rgb a, Rgb b, double t) { return a * (1 - t) + b * t; }

/// Geometry of one face, in head units (u right, v down, head ellipse of height 2), from the seed.
struct Scene {
  double cx, cy, size, cos_a, sin_a;
  double face_rx, jaw;
  double hair_width, hair_top, hair_bottom, hairline, hair_slope, hair_wave_amp, hair_wave_phase;
  double eye_y, eye_dx, eye_rx, eye_ry, gaze_x, gaze_y;
  double brow_gap, brow_tilt, brow_thick, brow_len;
  double nose_y, nose_rx, nose_ry;
  double mouth_y, mouth_w, mouth_t, mouth_curve;
  double ear_rx, ear_ry, ear_y;
  double neck_w, clothes_rx;
  double bg_angle;
  struct Blob {
    double x, y, rx, ry;
  };
  std::vector<Blob> blobs;
};

/// The geometry of face `seed` (the same for both styles).
Scene sample_scene(uint64_t seed);

/// Colours and imaging of one face, from (seed, style).
struct Look {
  bool shaded, outlined;
  Rgb skin, hair, iris, lips, sclera, clothes, bg0, bg1;
  std::vector<Rgb> blob_colors;
  double blob_softness;
  double lx, ly, lz, ambient;
  double hair_freq, hair_phase;
  double blur_sigma, noise_sigma;
  Rgb gains;
  double outline_width;
};

/// The look of face `seed` in `style`, with colours for `num_blobs` background blobs.
Look sample_look(uint64_t seed, Style style, int num_blobs);

}  // namespace lagm::toy::face

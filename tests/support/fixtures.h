// Small on-disk fixtures built by the tests themselves: a generator checkpoint from golden
// weights and labelled folder data sets.
#pragma once

#include <string>

namespace lagm::test {

/// Writes the 32px StyleGAN2 of golden case sg2_skip_r32 as a lagm checkpoint; returns its path.
std::string write_small_generator(const std::string& dir);

/// Writes `count` random 32x32 images with blocky masks of `num_classes` classes (seeded).
void write_random_folder_dataset(const std::string& dir, int count, int num_classes, int size = 32, int seed = 0);

}  // namespace lagm::test

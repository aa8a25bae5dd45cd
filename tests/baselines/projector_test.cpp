// The projector (inversion): its schedule and noise penalty are the reference's numbers, and it
// finds a latent and noise maps that make the generator reproduce an image it made, leaving the
// generator's own noise maps as they were.
#include "lagm/baselines/projector.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "fixtures.h"
#include "lagm/core/error.h"
#include "lagm/core/numpy_random.h"
#include "test_support.h"

namespace baselines = lagm::baselines;

TEST(Projector, ScheduleIsTheReferencesRamps) {
  const baselines::ProjectorOptions o;
  EXPECT_DOUBLE_EQ(baselines::projector_learning_rate(0.0, o), 0.0);       // ramp-up starts at 0
  EXPECT_NEAR(baselines::projector_learning_rate(0.025, o), 0.05, 1e-12);  // halfway up
  EXPECT_NEAR(baselines::projector_learning_rate(0.5, o), 0.1, 1e-12);     // plateau
  EXPECT_NEAR(baselines::projector_learning_rate(0.875, o), 0.05, 1e-12);  // cosine halfway down
  EXPECT_NEAR(baselines::projector_w_noise_scale(0.0, 2.0, o), 0.1, 1e-12);
  EXPECT_NEAR(baselines::projector_w_noise_scale(0.375, 2.0, o), 0.1 * 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(baselines::projector_w_noise_scale(0.9, 2.0, o), 0.0);
}

TEST(Projector, NoisePenaltyIsTheHandComputedValue) {
  // All ones, 16x16: autocorrelation 1 along x and y at 16x16 and at 8x8: 4.
  EXPECT_NEAR(baselines::noise_regularization({torch::ones({16, 16})}).item<double>(), 4.0, 1e-6);
  // A checkerboard: -1 both ways at 16x16 (squared: 2); its 8x8 average pool is 0.
  const auto i = torch::arange(16);
  const auto board = ((i.view({-1, 1}) + i.view({1, -1})) % 2).to(torch::kFloat32) * 2 - 1;
  EXPECT_NEAR(baselines::noise_regularization({board}).item<double>(), 2.0, 1e-6);
  EXPECT_NEAR(baselines::noise_regularization({board, torch::ones({8, 8})}).item<double>(), 4.0,
              1e-6);
}

TEST(Projector, ReproducesAnImageTheGeneratorMadeAndPutsItsNoiseBack) {
  const auto dir = lagm::test::fresh_temp_dir("projector").string();
  auto g =
      lagm::models::load_feature_generator(lagm::test::write_small_generator(dir), torch::kCPU);
  g->sampling().truncation_psi = 0.7;
  g->sampling().noise_mode = lagm::models::NoiseMode::kConst;
  const auto z = lagm::core::NumpyRandomState(5).randn({1, g->z_dim()}).to(torch::kFloat32);
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    target = g->generate(z).img;
  }
  std::vector<torch::Tensor> own;
  for (const auto& m : g->noise_buffers()) own.push_back(m.clone());
  ASSERT_FALSE(own.empty());

  baselines::ProjectorOptions o;
  o.steps = 150;
  o.w_avg_samples = 500;
  const auto stats = baselines::w_statistics(*g, o.w_avg_samples);
  EXPECT_GT(stats.w_std, 0.0);
  std::vector<double> distances;
  const auto p =
      baselines::project(*g, target, stats, o, [&](int64_t, double d) { distances.push_back(d); });
  ASSERT_EQ(distances.size(), 150u);
  const double start =
      baselines::psnr_8bit(g->synthesize(stats.w_avg.repeat({1, p.ws.size(1), 1})).img, target);
  const double psnr = baselines::psnr_8bit(p.image, target);
  EXPECT_GT(psnr, start + 6.0) << "w_avg " << start << " dB, projected " << psnr << " dB";
  EXPECT_LT(p.distance, 0.25 * distances.front());
  EXPECT_EQ(p.ws.sizes(), (std::vector<int64_t>{1, p.ws.size(1), stats.w_avg.size(2)}));
  ASSERT_EQ(p.noise.size(), own.size());
  // The result is what the generator makes from it, with the projected noise in place.
  const auto maps = g->noise_buffers();
  for (size_t i = 0; i < maps.size(); ++i) EXPECT_TRUE(torch::equal(maps[i], own[i])) << i;
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < maps.size(); ++i) maps[i].copy_(p.noise[i]);
    EXPECT_TRUE(torch::allclose(g->synthesize(p.ws).img, p.image, 1e-5, 1e-5));
    for (size_t i = 0; i < maps.size(); ++i) maps[i].copy_(own[i]);
  }
  EXPECT_THROW(baselines::project(*g, target.narrow(2, 0, 16), stats, o), lagm::InputError);
}

// The discriminator (reference names, minibatch stddev, R1's double backward) and the GAN
// trainer (outputs, bit-exact resume).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/gan/discriminator.h"
#include "lagm/gan/gan_step.h"
#include "lagm/gan/gan_train_config.h"
#include "lagm/gan/gan_trainer.h"
#include "lagm/models/feature_generator.h"
#include "test_support.h"

namespace lagm::gan {
namespace {

TEST(Discriminator, StateDictHasTheReferenceNamesAndShapes) {
  DiscriminatorOptions o;
  o.img_resolution = 64;
  o.channel_base = 2048;
  o.channel_max = 64;
  Discriminator d(o);
  std::vector<std::string> expected;
  std::vector<std::vector<int64_t>> shapes;
  auto conv = [&](const std::string& prefix, int64_t out, int64_t in, int64_t k, bool bias) {
    expected.push_back(prefix + ".weight"), shapes.push_back({out, in, k, k});
    if (bias) expected.push_back(prefix + ".bias"), shapes.push_back({out});
    expected.push_back(prefix + ".resample_filter"), shapes.push_back({4, 4});
  };
  // b64: 3 -> 32 (fromrgb) -> 32 -> 64; b32..b8: 64 -> 64 -> 64; b4: mbstd + 64 -> 64, fc, out.
  for (int64_t res : {64, 32, 16, 8}) {
    const std::string b = "b" + std::to_string(res);
    const int64_t tmp = res == 64 ? 32 : 64;
    expected.push_back(b + ".resample_filter"), shapes.push_back({4, 4});
    if (res == 64) conv(b + ".fromrgb", 32, 3, 1, true);
    conv(b + ".conv0", tmp, tmp, 3, true);
    conv(b + ".conv1", 64, tmp, 3, true);
    conv(b + ".skip", 64, tmp, 1, false);
  }
  conv("b4.conv", 64, 65, 3, true);
  expected.insert(expected.end(), {"b4.fc.weight", "b4.fc.bias", "b4.out.weight", "b4.out.bias"});
  shapes.insert(shapes.end(), {{64, 1024}, {64}, {1, 64}, {1}});
  const auto sd = core::state_dict(*d);
  ASSERT_EQ(sd.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(sd.items()[i].first, expected[i]);
    EXPECT_EQ(sd.items()[i].second.sizes().vec(), shapes[i]) << expected[i];
  }
  EXPECT_EQ(d->forward(torch::randn({4, 3, 64, 64})).sizes(), torch::IntArrayRef({4, 1}));
}

TEST(Discriminator, MinibatchStddevMatchesTheDefinition) {
  // N = 8, group 4: sample n is in group n % 2 (the reference's reshape(G, -1, ...)).
  torch::manual_seed(3);
  auto x = torch::randn({8, 6, 3, 2}, torch::kFloat64);
  auto y = minibatch_stddev(x, 4, 2);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({8, 8, 3, 2}));
  EXPECT_TRUE(torch::equal(y.narrow(1, 0, 6), x));
  for (int64_t n = 0; n < 8; ++n)
    for (int64_t f = 0; f < 2; ++f) {
      double acc = 0;
      for (int64_t c = f * 3; c < f * 3 + 3; ++c)
        for (int64_t i = 0; i < 3; ++i)
          for (int64_t j = 0; j < 2; ++j) {
            std::vector<double> v;
            for (int64_t g = 0; g < 4; ++g) v.push_back(x[g * 2 + n % 2][c][i][j].item<double>());
            const double mean = (v[0] + v[1] + v[2] + v[3]) / 4;
            double var = 0;
            for (double e : v) var += (e - mean) * (e - mean) / 4;
            acc += std::sqrt(var + 1e-8);
          }
      const double expected = acc / 18;
      EXPECT_NEAR(y[n][6 + f][0][0].item<double>(), expected, 1e-12);
      EXPECT_NEAR(y[n][6 + f][2][1].item<double>(), expected, 1e-12);
    }
}

TEST(Discriminator, R1PenaltyHasParameterGradients) {
  DiscriminatorOptions o;
  o.img_resolution = 16;
  o.channel_base = 128;
  o.channel_max = 16;
  Discriminator d(o);
  auto x = torch::randn({4, 3, 16, 16}).requires_grad_(true);
  auto g = torch::autograd::grad({d->forward(x).sum()}, {x}, {}, true, true)[0];
  g.square().sum().backward();
  const auto& w = d->blocks[0]->conv0->weight;
  ASSERT_TRUE(w.grad().defined());
  EXPECT_GT(w.grad().abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(torch::isfinite(w.grad()).all().item<bool>());
}

GanTrainConfig tiny_config(double kimg) {
  GanTrainConfig c = default_gan_config(16);
  c.generator.z_dim = c.generator.w_dim = 16;
  c.generator.synthesis.channel_base = 128;
  c.generator.synthesis.channel_max = 16;
  c.discriminator.channel_base = 128;
  c.discriminator.channel_max = 16;
  c.batch = 4;
  c.r1_interval = 2;
  c.total_kimg = kimg;
  c.snapshot_kimg = 0.016;
  c.seed = 5;
  return c;
}

TEST(GanStep, RunsR1OnItsIntervalAndMovesTheEmaTowardG) {
  torch::manual_seed(0);
  const auto config = tiny_config(1);  // r1_interval 2
  GanStep step(config, torch::kCPU);
  const auto real = torch::rand({config.batch, 3, 16, 16}) * 2 - 1;
  const auto ema_before = step.G_ema->parameters()[0].clone();
  const auto g_before = step.G->parameters()[0].clone();
  const auto d_before = step.D->parameters()[0].clone();
  const auto first = step.step(real, /*iteration=*/0, config.batch);
  const auto second = step.step(real, /*iteration=*/1, 2 * config.batch);
  EXPECT_GT(first.r1, 0);    // iteration 0: R1 ran, its penalty is positive
  EXPECT_EQ(second.r1, -1);  // iteration 1: not an R1 iteration
  EXPECT_GT(first.g, 0);     // softplus losses are positive
  EXPECT_GT(first.d, 0);
  EXPECT_FALSE(step.G->parameters()[0].equal(g_before));  // both optimizers stepped
  EXPECT_FALSE(step.D->parameters()[0].equal(d_before));
  // The EMA lies between where it was and where G is now (same first parameter).
  const auto g_now = step.G->parameters()[0], ema_now = step.G_ema->parameters()[0];
  EXPECT_LT((ema_now - g_now).abs().max().item<double>(),
            (ema_before - g_now).abs().max().item<double>());
  EXPECT_FALSE(ema_now.equal(ema_before));
}

TEST(GanTrainConfig, PrecisionIsTheOneNameAndBf16ItsOlderSpelling) {
  EXPECT_FALSE(gan_train_config_from_json(nlohmann::json::object(), "gan.json").bf16);
  EXPECT_TRUE(gan_train_config_from_json({{"precision", "bf16"}}, "gan.json").bf16);
  EXPECT_TRUE(gan_train_config_from_json({{"bf16", true}}, "gan.json").bf16);
  const auto c = gan_train_config_from_json({{"bf16", true}}, "gan.json");
  EXPECT_EQ(to_json(c).at("precision"), "bf16");
  EXPECT_FALSE(to_json(c).contains("bf16"));
  EXPECT_THROW(gan_train_config_from_json({{"precision", "half"}}, "gan.json"), InputError);
}

// Every number of a GAN configuration has a range, refused by key before anything is built: a
// batch of 10^9, a learning rate of 0 or NaN, a beta of 1, a discriminator of 10^9 channels.
TEST(GanTrainConfig, SettingsOutsideTheirRangesAreRefusedByKey) {
  EXPECT_NO_THROW(gan_train_config_from_json(to_json(default_gan_config()), "gan.json"));
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"batch", 1000000000}}, "gan.json.batch"},
      {{{"batch", 0}}, "gan.json.batch"},
      {{{"g_lr", 0.0}}, "gan.json.g_lr"},
      {{{"d_lr", -1.0}}, "gan.json.d_lr"},
      {{{"beta2", 1.0}}, "gan.json.beta2"},
      {{{"style_mixing", 1.5}}, "gan.json.style_mixing"},
      {{{"total_kimg", 0.0}}, "gan.json.total_kimg"},
      {{{"r1_interval", 0}}, "gan.json.r1_interval"},
      {{{"seed", 5000000000}}, "gan.json.seed"},
      {{{"discriminator", {{"channel_max", 1000000000}}}}, "channel_max"},
      {{{"generator", {{"img_resolution", 64}, {"w_dim", 100000}}}}, "w_dim"},
  };
  for (const auto& [json, key] : cases) {
    try {
      gan_train_config_from_json(json, "gan.json");
      ADD_FAILURE() << json.dump() << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
}

TEST(GanTrainer, WritesALoadableGeneratorAndStats) {
  const auto dir = lagm::test::fresh_temp_dir("gan_outputs");
  const auto r = train_gan(tiny_config(0.016), dir.string(), torch::kCPU);
  EXPECT_EQ(r.images_shown, 16);
  EXPECT_TRUE(std::isfinite(r.last_loss_g) && std::isfinite(r.last_loss_d));
  for (const char* f :
       {"generator.safetensors", "train_state.safetensors", "samples-000000.png", "config.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  // Each snapshot's generator is kept beside the latest: the same network at kimg 0.
  const auto latest = lagm::core::read_safetensors((dir / "generator.safetensors").string());
  const auto kept = lagm::core::read_safetensors((dir / "generator-000000.safetensors").string());
  for (const auto& [name, t] : latest.tensors.items())
    EXPECT_TRUE(torch::equal(t, kept.tensors.at(name))) << name;
  std::ifstream stats(dir / "stats.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(stats, line));
  const auto j = nlohmann::json::parse(line);
  EXPECT_DOUBLE_EQ(j.at("kimg").get<double>(), 0.016);
  EXPECT_GT(j.at("img_per_s").get<double>(), 0.0);
  // The EMA generator is a regular stylegan2 checkpoint.
  auto g = models::load_feature_generator((dir / "generator.safetensors").string(), torch::kCPU);
  auto out = g->generate(torch::randn({2, 16}));
  EXPECT_EQ(out.img.sizes(), torch::IntArrayRef({2, 3, 16, 16}));
  // A second run into the same folder is refused.
  EXPECT_THROW(train_gan(tiny_config(0.016), dir.string(), torch::kCPU), lagm::UsageError);
}

TEST(GanTrainer, ResumeContinuesBitForBit) {
  const auto whole = lagm::test::fresh_temp_dir("gan_whole"),
             parts = lagm::test::fresh_temp_dir("gan_parts");
  train_gan(tiny_config(0.032), whole.string(), torch::kCPU);
  train_gan(tiny_config(0.016), parts.string(), torch::kCPU);
  torch::manual_seed(999);  // the resumed run must not depend on the process RNG state
  const auto r = resume_gan_training(parts.string(), torch::kCPU, 0.032);
  EXPECT_EQ(r.images_shown, 32);
  const auto a = core::read_safetensors((whole / "train_state.safetensors").string());
  const auto b = core::read_safetensors((parts / "train_state.safetensors").string());
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : a.tensors.items())
    EXPECT_TRUE(torch::equal(t, b.tensors.at(name))) << name;
  // Training moved G, and G_ema lags behind it.
  const auto& g = a.tensors.at("G.synthesis.b16.conv1.weight");
  EXPECT_FALSE(torch::equal(g, a.tensors.at("G_ema.synthesis.b16.conv1.weight")));
}

TEST(GanTrainer, AResumedRunRecordsEachStatsLineOnce) {
  const auto dir = lagm::test::fresh_temp_dir("gan_stats_once");
  train_gan(tiny_config(0.016), dir.string(), torch::kCPU);
  // A line the run wrote after its last saved state before it died; resuming repeats that work.
  {
    std::ofstream(dir / "stats.jsonl", std::ios::app) << R"({"kimg": 0.024, "loss_G": 1})"
                                                      << "\n";
  }
  resume_gan_training(dir.string(), torch::kCPU, 0.032);
  std::ifstream stats(dir / "stats.jsonl");
  std::vector<double> kimg;
  for (std::string line; std::getline(stats, line);)
    kimg.push_back(nlohmann::json::parse(line).at("kimg").get<double>());
  EXPECT_EQ(kimg, (std::vector<double>{0.016, 0.032}));
}

}  // namespace
}  // namespace lagm::gan

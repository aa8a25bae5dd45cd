// The supervised annotator (DatasetGAN's protocol): fitted to labelled generated images named by
// their seeds, it learns their labels, refuses images the generator does not make with the run's
// settings, and resumes as an uninterrupted run.
#include "lagm/baselines/supervised_annotator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "fixtures.h"
#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/numpy_random.h"
#include "lagm/core/safetensors.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/image.h"
#include "lagm/synth/synthesize.h"
#include "test_support.h"

namespace annotator = lagm::annotator;
namespace baselines = lagm::baselines;
using ::testing::HasSubstr;

namespace {

// Generated images of `seeds` (psi `psi`, constant noise) labelled by the brightness of their red
// channel in three bands: labels the features can predict.
void write_labelled_generated(const std::string& generator, const std::string& dir,
                              const std::vector<uint32_t>& seeds, double psi) {
  auto g = lagm::models::load_feature_generator(generator, torch::kCPU);
  g->sampling().truncation_psi = psi;
  g->sampling().noise_mode = lagm::models::NoiseMode::kConst;
  lagm::data::write_dataset_json(dir, {{"classes", {"dark", "middle", "bright"}}});
  for (const auto seed : seeds) {
    const auto z = lagm::core::NumpyRandomState(seed).randn({1, g->z_dim()}).to(torch::kFloat32);
    const auto image = lagm::io::quantize_generated(g->generate(z).img)[0];
    const auto red = image.select(2, 0).to(torch::kInt64);
    const auto mask = ((red > 85).to(torch::kInt64) + (red > 170).to(torch::kInt64));
    char name[32];
    std::snprintf(name, sizeof name, "seed%06u", seed);
    lagm::data::write_folder_sample(dir, name, image.to(torch::kUInt8), mask.to(torch::kUInt8));
  }
}

baselines::SupervisedAnnotatorConfig small_supervised_config(const std::string& dir) {
  baselines::SupervisedAnnotatorConfig c;
  c.generator = dir + "/G.safetensors";
  c.labels = dir + "/labels";
  c.tmp_channels = 8;
  c.steps = 40;
  c.batch = 2;
  c.lr = 1e-2;
  c.snapshot_steps = 20;
  c.sampling.noise_mode = lagm::models::NoiseMode::kConst;
  return c;
}

// Cross entropy of a snapshot's annotator on the labelled images.
double labelled_loss(const std::string& snapshot, const baselines::SupervisedAnnotatorConfig& c) {
  torch::NoGradGuard no_grad;
  auto a = annotator::load_snapshot_annotator(annotator::read_snapshot(snapshot));
  auto g = lagm::models::load_feature_generator(c.generator, torch::kCPU);
  g->sampling() = c.sampling;
  lagm::data::FolderDataset labels(c.labels);
  double loss = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto sample = labels.get(i);
    const auto z = lagm::core::NumpyRandomState(baselines::seed_of_sample(sample.id))
                       .randn({1, g->z_dim()})
                       .to(torch::kFloat32);
    loss += torch::nn::functional::cross_entropy(a.forward(g->generate(z).features),
                                                 sample.label.unsqueeze(0))
                .item<double>();
  }
  return loss / static_cast<double>(labels.size());
}

}  // namespace

TEST(SupervisedAnnotator, SeedsComeFromTheSampleNames) {
  EXPECT_EQ(baselines::seed_of_sample("seed000123"), 123u);
  EXPECT_EQ(baselines::seed_of_sample("000042"), 42u);
  EXPECT_EQ(baselines::seed_of_sample("4294967295"), 4294967295u);
  EXPECT_THROW(baselines::seed_of_sample("seed12x"), lagm::InputError);
  EXPECT_THROW(baselines::seed_of_sample("image7"), lagm::InputError);
  EXPECT_THROW(baselines::seed_of_sample("4294967296"), lagm::InputError);
  EXPECT_THROW(baselines::seed_of_sample("seed"), lagm::InputError);
}

TEST(SupervisedAnnotator, LearnsTheLabelsResumesExactlyAndWritesARunSynthesisTakes) {
  const auto dir = lagm::test::fresh_temp_dir("supervised").string();
  lagm::test::write_small_generator(dir);
  write_labelled_generated(dir + "/G.safetensors", dir + "/labels", {3, 5, 8, 13}, 0.7);
  const auto c = small_supervised_config(dir);
  const auto last = baselines::train_supervised_annotator(c, dir + "/run", torch::kCPU);
  EXPECT_EQ(last, annotator::snapshot_path(dir + "/run", 40));
  const double first = labelled_loss(annotator::snapshot_path(dir + "/run", 20), c);
  const double final = labelled_loss(last, c);
  EXPECT_LT(final, first) << "first " << first << ", final " << final;
  EXPECT_LT(final, 0.5 * std::log(3.0));  // half the loss of a guess among three classes
  // The snapshot carries what synthesis needs: the generator and the sampling settings.
  const auto snapshot = annotator::read_snapshot(last);
  EXPECT_EQ(snapshot.info.provenance.learner, "supervised");
  EXPECT_EQ(snapshot.info.provenance.generator, c.generator);
  EXPECT_EQ(snapshot.info.provenance.sampling.noise_mode, lagm::models::NoiseMode::kConst);
  EXPECT_FALSE(snapshot.info.segmenter.has_value());
  EXPECT_EQ(snapshot.info.class_names, (std::vector<std::string>{"dark", "middle", "bright"}));

  // Interrupted after step 20 and resumed: the uninterrupted run's annotator, bit for bit.
  std::filesystem::copy(dir + "/run", dir + "/cut", std::filesystem::copy_options::recursive);
  std::filesystem::remove(dir + "/cut/snapshots/000040.safetensors");
  std::filesystem::remove(dir + "/cut/.lock");
  baselines::resume_supervised_annotator(dir + "/cut", torch::kCPU);
  const auto whole = lagm::core::read_safetensors(last).tensors;
  const auto resumed =
      lagm::core::read_safetensors(annotator::snapshot_path(dir + "/cut", 40)).tensors;
  for (const auto& [name, t] : whole.items())
    if (name.rfind("A.", 0) == 0) EXPECT_TRUE(torch::equal(t, resumed.at(name))) << name;

  // A new run into the folder is refused.
  EXPECT_THROW(baselines::train_supervised_annotator(c, dir + "/run", torch::kCPU),
               lagm::UsageError);
}

TEST(SupervisedAnnotator, RefusesImagesTheGeneratorDoesNotMakeWithTheRunsSettings) {
  const auto dir = lagm::test::fresh_temp_dir("supervised_mismatch").string();
  lagm::test::write_small_generator(dir);
  write_labelled_generated(dir + "/G.safetensors", dir + "/labels", {3, 5}, 0.2);
  auto c = small_supervised_config(dir);  // psi 0.7
  try {
    baselines::train_supervised_annotator(c, dir + "/run", torch::kCPU);
    FAIL() << "images made with psi 0.2 were accepted for a psi 0.7 run";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("seed000003"));
    EXPECT_THAT(e.what(), HasSubstr("--psi"));
  }
  c.sampling.noise_mode = lagm::models::NoiseMode::kRandom;
  EXPECT_THROW(baselines::train_supervised_annotator(c, dir + "/run2", torch::kCPU),
               lagm::UsageError);
}

// DatasetGAN's interpreter through the same trainer, then synthesis with its uncertainty filter:
// dataset.json keeps the images whose members disagree least.
TEST(SupervisedAnnotator, MlpEnsembleLearnsTheLabelsAndSynthesisKeepsTheLeastUncertain) {
  const auto dir = lagm::test::fresh_temp_dir("supervised_ensemble").string();
  lagm::test::write_small_generator(dir);
  write_labelled_generated(dir + "/G.safetensors", dir + "/labels", {3, 5, 8, 13}, 0.7);
  auto c = small_supervised_config(dir);
  c.arch = baselines::SupervisedArch::kMlpEnsemble;
  c.members = 3;
  const auto last = baselines::train_supervised_annotator(c, dir + "/run", torch::kCPU);
  const double first = labelled_loss(annotator::snapshot_path(dir + "/run", 20), c);
  const double final = labelled_loss(last, c);
  EXPECT_LT(final, first) << "first " << first << ", final " << final;
  EXPECT_LT(final, 0.5 * std::log(3.0));
  EXPECT_EQ(annotator::read_snapshot(last).info.annotator.at("arch"), "mlp_ensemble");

  lagm::synth::SynthesizeOptions o;
  o.run_dir = dir + "/run";
  o.snapshot = "latest";
  o.num = 8;
  o.keep_top = 0.5;
  o.out = dir + "/synth";
  ASSERT_TRUE(lagm::synth::synthesize(o).complete);
  const auto info = nlohmann::json::parse(lagm::core::read_file(dir + "/synth/dataset.json"));
  EXPECT_EQ(info.at("rank_by"), "uncertainty");
  std::vector<std::pair<double, std::string>> by_uncertainty;
  for (const auto& m : info.at("images")) {
    ASSERT_TRUE(m.contains("uncertainty"));
    EXPECT_GE(m.at("uncertainty").get<double>(), 0.0);
    by_uncertainty.emplace_back(m.at("uncertainty").get<double>(), m.at("id").get<std::string>());
  }
  std::sort(by_uncertainty.begin(), by_uncertainty.end());
  ASSERT_LT(by_uncertainty.front().first, by_uncertainty.back().first) << "all images alike";
  std::vector<std::string> expected;
  for (size_t i = 0; i < 4; ++i) expected.push_back(by_uncertainty[i].second);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(info.at("samples").get<std::vector<std::string>>(), expected);

  // Ranking by uncertainty needs an ensemble.
  o.run_dir = dir + "/fpn";
  c.arch = baselines::SupervisedArch::kFpn;
  c.steps = 1;
  baselines::train_supervised_annotator(c, o.run_dir, torch::kCPU);
  o.out = dir + "/synth_fpn";
  o.rank_by = lagm::synth::RankBy::kUncertainty;
  EXPECT_THROW(lagm::synth::synthesize(o), lagm::UsageError);
}

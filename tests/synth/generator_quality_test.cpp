// The faces-domain generator measurement behind `lagm gan-quality`.
#include "lagm/synth/generator_quality.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <numeric>

#include "fixtures.h"
#include "lagm/core/error.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"
#include "lagm/toy/domain.h"
#include "lagm/toy/render_batch.h"
#include "test_support.h"

namespace {

lagm::models::Segmenter small_unet(int64_t classes) {
  lagm::models::SegmenterConfig c;
  c.arch = lagm::models::SegmenterArch::kUNet;
  c.num_classes = classes;
  c.base_channels = 4;
  lagm::models::Segmenter s(c);
  s.module().eval();
  return s;
}

}  // namespace

// The renders' own labels are the faces domain's ground truth for seeds 4000000 + i, histograms
// sum to one, the generator samples at the requested psi over every layer, and the distance is
// the L1 distance of the two histograms.
TEST(GeneratorQuality, ComparesTheOraclesHistogramsOnGeneratedImagesAndRenders) {
  const auto dir = lagm::test::fresh_temp_dir("generator_quality").string();
  auto g =
      lagm::models::load_feature_generator(lagm::test::write_small_generator(dir), torch::kCPU);
  const auto& faces = lagm::toy::find_domain("faces");
  const int64_t k = static_cast<int64_t>(faces.class_names.size());
  torch::manual_seed(0);
  auto oracle = small_unet(k);
  lagm::synth::GeneratorQualityOptions o;
  o.num = 5;
  o.batch = 2;
  o.psi = 0.5;
  int progress_lines = 0;
  const auto q = lagm::synth::measure_generator_quality(
      *g, oracle, o, [&](const std::string&) { ++progress_lines; });
  EXPECT_EQ(progress_lines, 3);  // batches of 2, 2, 1
  EXPECT_EQ(g->sampling().truncation_psi, 0.5);
  EXPECT_FALSE(g->sampling().truncation_cutoff.has_value());
  for (const auto* s : {&q.generated, &q.renders, &q.truth}) {
    EXPECT_EQ(s->images, 5);
    EXPECT_NEAR(std::accumulate(s->class_fraction.begin(), s->class_fraction.end(), 0.0), 1.0,
                1e-9);
  }
  const auto r = lagm::toy::render_batch(faces, lagm::toy::Style::kPhoto, g->img_resolution(),
                                         {4000000, 4000001, 4000002, 4000003, 4000004});
  const auto truth = lagm::eval::part_statistics(r.labels, k, 3, 2, o.min_region);
  EXPECT_EQ(q.truth.class_fraction, truth.class_fraction);
  EXPECT_EQ(q.truth.expected_regions_fraction, truth.expected_regions_fraction);
  EXPECT_DOUBLE_EQ(q.l1_generated_vs_renders,
                   lagm::eval::l1_distance(q.generated.class_fraction, q.renders.class_fraction));
  EXPECT_EQ(q.to_json().at("truth").at("class_fraction").get<std::vector<double>>(),
            truth.class_fraction);

  auto wrong = small_unet(3);
  try {
    lagm::synth::measure_generator_quality(*g, wrong, o);
    ADD_FAILURE() << "a 3-class oracle accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("3 classes"));
  }
}

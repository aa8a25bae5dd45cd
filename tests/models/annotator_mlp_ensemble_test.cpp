// DatasetGAN's interpreter: each member is the pixel-wise MLP on the upsampled, concatenated
// features (checked against that formulation computed directly: Linear and BatchNorm1d over the
// matrix of per-pixel vectors), the ensemble's output is the log of the members' mean probability,
// and the uncertainty filter's numbers are the hand-computed ones.
#include "lagm/models/annotator_mlp_ensemble.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "lagm/core/error.h"
#include "lagm/core/state_dict.h"
#include "lagm/models/annotator.h"

namespace m = lagm::models;
namespace F = torch::nn::functional;

namespace {

const std::vector<std::vector<int64_t>> kShapes = {{6, 2, 2}, {5, 4, 4}, {3, 8, 8}};

std::vector<torch::Tensor> random_features(int64_t n) {
  std::vector<torch::Tensor> f;
  f.reserve(kShapes.size());
  for (const auto& s : kShapes) f.push_back(torch::randn({n, s[0], s[1], s[2]}));
  return f;
}

// DatasetGAN's formulation: every feature map upsampled (bilinear) to 8x8 and concatenated, each
// pixel's vector through Linear, ReLU, BatchNorm1d, Linear, ReLU, BatchNorm1d, Linear.
torch::Tensor per_pixel_mlp(m::PixelMLPImpl& member, const std::vector<torch::Tensor>& features,
                            bool training) {
  std::vector<torch::Tensor> up, w;
  up.reserve(features.size());
  w.reserve(features.size());
  for (size_t i = 0; i < features.size(); ++i) {
    up.push_back(F::interpolate(features[i], F::InterpolateFuncOptions()
                                                 .size(std::vector<int64_t>{8, 8})
                                                 .mode(torch::kBilinear)
                                                 .align_corners(false)));
    w.push_back(member.first[i]->weight.flatten(1));
  }
  const auto x = torch::cat(up, 1);                                      // [N, C, 8, 8]
  const auto pixels = x.permute({0, 2, 3, 1}).reshape({-1, x.size(1)});  // [N*64, C]
  auto bn = [&](const torch::Tensor& h, torch::nn::BatchNorm2d& layer) {
    return F::batch_norm(h, layer->running_mean.clone(), layer->running_var.clone(),
                         F::BatchNormFuncOptions()
                             .weight(layer->weight)
                             .bias(layer->bias)
                             .training(training)
                             .eps(1e-5));
  };
  auto h = torch::relu(F::linear(pixels, torch::cat(w, 1), member.first[0]->bias));
  h = bn(h, member.bn1);
  h = bn(torch::relu(F::linear(h, member.second->weight.flatten(1), member.second->bias)),
         member.bn2);
  const auto logits = F::linear(h, member.out->weight.flatten(1), member.out->bias);
  return logits.reshape({x.size(0), 8, 8, -1}).permute({0, 3, 1, 2});
}

}  // namespace

TEST(MlpEnsemble, EachMemberIsThePixelwiseMlpOnConcatenatedUpsampledFeatures) {
  torch::manual_seed(0);
  m::AnnotatorMLPEnsemble e(m::AnnotatorMLPEnsembleOptions(kShapes, 4).members(3));
  const auto f = random_features(2);
  {
    torch::NoGradGuard no_grad;  // BatchNorm statistics not at their defaults, so eval mode shows
    for (auto& member : e->members)
      for (auto* bn : {&member->bn1, &member->bn2}) {
        (*bn)->running_mean.normal_();
        (*bn)->running_var.uniform_(0.5, 2.0);
      }
  }
  for (const bool training : {true, false}) {
    training ? e->train() : e->eval();
    const auto members = e->member_logits(f);
    ASSERT_EQ(members.sizes(), (std::vector<int64_t>{3, 2, 4, 8, 8}));
    for (size_t i = 0; i < e->members.size(); ++i) {
      torch::Tensor expected;
      {
        torch::NoGradGuard no_grad;
        expected = per_pixel_mlp(*e->members[i], f, training);
      }
      EXPECT_LT((members[static_cast<int64_t>(i)] - expected).abs().max().item<double>(), 1e-4)
          << "member " << i << (training ? " (train)" : " (eval)");
    }
    // The members differ (own initialisation), and the output is log mean probability.
    EXPECT_GT((members[0] - members[1]).abs().max().item<double>(), 1e-2);
    const auto mean_p = torch::softmax(members, 2).mean(0);
    EXPECT_TRUE(torch::allclose(torch::exp(e->forward(f)), mean_p, 1e-5, 1e-6));
  }
  // Hidden sizes as DatasetGAN's: 128/32 below 32 classes, 256/128 from 32 on.
  EXPECT_EQ(e->members[0]->bn1->options.num_features(), 128);
  EXPECT_EQ(e->members[0]->bn2->options.num_features(), 32);
  m::PixelMLP wide(kShapes, 34);
  EXPECT_EQ(wide->bn1->options.num_features(), 256);
  EXPECT_EQ(wide->bn2->options.num_features(), 128);
}

TEST(MlpEnsemble, JensenShannonAndImageUncertaintyAreTheHandComputedValues) {
  // Two members, two classes, one image of 1x2 pixels ([M, N, K, H, W]): at pixel 0 the members
  // are certain of opposite classes, at pixel 1 both say [.5, .5].
  auto probs = torch::zeros({2, 1, 2, 1, 2}, torch::kFloat64);
  probs.index_put_({0, 0, 0, 0, 0}, 1.0);
  probs.index_put_({1, 0, 1, 0, 0}, 1.0);
  probs.index_put_({torch::indexing::Slice(), 0, torch::indexing::Slice(), 0, 1}, 0.5);
  const auto js = m::ensemble_js_divergence(probs);
  ASSERT_EQ(js.sizes(), (std::vector<int64_t>{1, 1, 2}));
  EXPECT_NEAR(js[0][0][0].item<double>(), std::log(2.0), 1e-9);  // H([.5,.5]) - 0
  EXPECT_NEAR(js[0][0][1].item<double>(), 0.0, 1e-9);            // ln 2 - ln 2
  // Top 10 % of 20 pixels = the 2 largest: (19 + 18) / 2.
  const auto values = torch::arange(20, torch::kFloat64).view({1, 4, 5});
  EXPECT_DOUBLE_EQ(m::image_uncertainty(values).item<double>(), 18.5);
  EXPECT_DOUBLE_EQ(m::image_uncertainty(values, 0.5).item<double>(), 14.5);  // 10..19
}

TEST(MlpEnsemble, AnnotatorJsonRoundTripsAndBadArchIsNamed) {
  torch::manual_seed(1);
  m::Annotator a(m::AnnotatorMLPEnsemble(m::AnnotatorMLPEnsembleOptions(kShapes, 4).members(2)));
  const auto j = a.to_json();
  EXPECT_EQ(j.at("arch"), "mlp_ensemble");
  auto b = m::make_annotator(j, "snap");
  ASSERT_TRUE(b.ensemble());
  EXPECT_EQ(b.ensemble()->options.members(), 2);
  lagm::core::load_state_dict(b.module(), lagm::core::state_dict(a.module()));
  a->eval(), b->eval();
  const auto f = random_features(1);
  EXPECT_TRUE(torch::equal(a.forward(f), b.forward(f)));
  auto bad = j;
  bad["arch"] = "transformer";
  try {
    m::make_annotator(bad, "snap.annotator");
    ADD_FAILURE() << "accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("snap.annotator.arch"), std::string::npos) << e.what();
  }
  bad = j;
  bad["members"] = 0;
  EXPECT_THROW(m::make_annotator(bad, "snap"), lagm::InputError);
}

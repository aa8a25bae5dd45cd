// Labels brought back to an image's size: the bilinear logits are PyTorch's F.interpolate, bands of
// rows compose the whole, and at the network's own size the labels are the plain argmax.
#include "lagm/predict/label_upsampling.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace F = torch::nn::functional;
using lagm::predict::bilinear_rows;
using lagm::predict::upsampled_argmax;

namespace {

torch::Tensor interpolated(const torch::Tensor& logits, int64_t h, int64_t w) {
  return F::interpolate(logits.unsqueeze(0), F::InterpolateFuncOptions()
                                                 .size(std::vector<int64_t>{h, w})
                                                 .mode(torch::kBilinear)
                                                 .align_corners(false))[0];
}

}  // namespace

TEST(LabelUpsampling, BilinearLogitsAreFInterpolateUpAndDown) {
  torch::manual_seed(3);
  const auto logits = torch::randn({5, 16, 12});
  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{37, 50}, {9, 7}, {16, 40}}) {
    const auto expected = interpolated(logits, h, w);
    const auto ours = bilinear_rows(logits, h, w, 0, h);
    // Float rounding apart (PyTorch's kernel forms its weights in its own order): a wrong formula,
    // align_corners = true say, is off by 0.1 here.
    const double error = (ours - expected).abs().max().item<double>();
    EXPECT_LT(error, 1e-5) << h << "x" << w;
    // Any band of rows is those rows of the whole.
    EXPECT_TRUE(torch::equal(bilinear_rows(logits, h, w, 2, 5), ours.narrow(1, 2, 3)));
  }
}

TEST(LabelUpsampling, ArgmaxAgreesWithInterpolateWhereScoresDoNotTie) {
  torch::manual_seed(4);
  const auto logits = torch::randn({4, 8, 8}) * 3;
  const int64_t h = 61, w = 45;
  const auto labels = upsampled_argmax(logits, h, w);
  ASSERT_EQ(labels.sizes(), (std::vector<int64_t>{h, w}));
  ASSERT_EQ(labels.scalar_type(), torch::kUInt8);
  const auto expected = interpolated(logits, h, w);
  const auto top2 = std::get<0>(expected.topk(2, 0));
  const auto clear = (top2[0] - top2[1]) > 1e-4;  // pixels where rounding cannot swap the winner
  EXPECT_GT(clear.sum().item<int64_t>(), h * w * 99 / 100);
  EXPECT_TRUE(torch::equal(labels.to(torch::kInt64).masked_select(clear),
                           expected.argmax(0).masked_select(clear)));
}

TEST(LabelUpsampling, OwnSizeIsThePlainArgmax) {
  torch::manual_seed(5);
  const auto logits = torch::randn({6, 20, 14});
  EXPECT_TRUE(torch::equal(upsampled_argmax(logits, 20, 14), logits.argmax(0).to(torch::kUInt8)));
}

// Augmentation of labelled batches (method/augmentation.h): labels move exactly with their pixels,
// padding is ignored, a batch without transforms draws nothing; and its use on phase I's labelled
// batches (label_augment): off by default, changes the run when on, resumes exactly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fixtures.h"
#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/error.h"
#include "lagm/data/augmentation.h"
#include "lagm/matching/annotator_train_config.h"
#include "lagm/matching/annotator_trainer.h"
#include "test_support.h"

namespace annotator = lagm::annotator;
namespace data = lagm::data;
namespace matching = lagm::matching;
using ::testing::HasSubstr;

namespace {

constexpr int64_t kClasses = 5;

// Every channel of a pixel encodes its label: class c -> 2 c / (kClasses - 1) - 1 in [-1, 1].
torch::Tensor label_code(const torch::Tensor& y) {
  return (y.to(torch::kFloat32) * (2.0 / (kClasses - 1)) - 1)
      .unsqueeze(1)
      .expand({-1, 3, -1, -1})
      .contiguous();
}

// Label maps of random `block` x `block` squares and their coded images.
std::pair<torch::Tensor, torch::Tensor> label_coded_batch(int64_t n, int64_t h, int64_t w,
                                                          int64_t block = 4) {
  const auto coarse = torch::randint(0, kClasses, {n, 1, h / block, w / block}).to(torch::kFloat32);
  const auto y =
      torch::nn::functional::interpolate(coarse, torch::nn::functional::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{h, w})
                                                     .mode(torch::kNearest))
          .squeeze(1)
          .to(torch::kInt64);
  return {label_code(y), y};
}

}  // namespace

TEST(Augmentation, NoTransformLeavesTheBatchAndTheGlobalStreamAlone) {
  torch::manual_seed(3);
  auto [x, y] = label_coded_batch(2, 16, 16);
  const auto x0 = x.clone(), y0 = y.clone();
  torch::manual_seed(7);
  auto [ax, ay] = data::augment_batch(x, y, data::Augmentation{});
  const auto after = torch::rand({4});
  torch::manual_seed(7);
  EXPECT_TRUE(torch::equal(after, torch::rand({4})));  // a run without it is the reference's
  EXPECT_TRUE(torch::equal(ax, x0));
  EXPECT_TRUE(torch::equal(ay, y0));
}

TEST(Augmentation, FlipsMoveEveryLabelWithItsPixel) {
  torch::manual_seed(4);
  auto [x, y] = label_coded_batch(16, 16, 24);
  const auto y0 = y.clone();
  auto [ax, ay] = data::augment_batch(x, y, {/*flip=*/true, false, false});
  EXPECT_TRUE(torch::equal(ax, label_code(ay)));
  int flipped = 0;
  for (int64_t i = 0; i < 16; ++i) {
    const bool same = torch::equal(ay[i], y0[i]), mirrored = torch::equal(ay[i], y0[i].flip({1}));
    EXPECT_TRUE(same || mirrored) << i;
    flipped += mirrored && !same;
  }
  EXPECT_GT(flipped, 0);  // p = 0.5 each over 16 images
  EXPECT_LT(flipped, 16);
}

TEST(Augmentation, ScaleCropKeepsTheClassesAndPadsWithTheIgnoreLabel) {
  bool padded = false, cropped = false;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    torch::manual_seed(seed);
    auto [x, y] = label_coded_batch(3, 32, 32, /*block=*/8);
    auto [ax, ay] = data::augment_batch(x, y, {false, /*scale_crop=*/true, false});
    ASSERT_EQ(ax.sizes(), x.sizes());
    ASSERT_EQ(ay.sizes(), y.sizes());
    const auto pad = ay == 255;
    EXPECT_TRUE((((ay >= 0) & (ay < kClasses)) | pad).all().item<bool>());
    // Padding is the same pixels in image and labels: -1 in every channel where the label is 255.
    EXPECT_TRUE((ax.masked_select(pad.unsqueeze(1).expand_as(ax)) == -1).all().item<bool>());
    // Where a pixel's 5 x 5 neighbourhood shares one label, the resized image still encodes the
    // pixel's label. Why 5 x 5: at scales in [0.75, 1.25] the two source pixels that bilinear
    // resizing reads lie between the nearest-resize sources of the pixels two to either side, and
    // on maps of 8 x 8 blocks a run of sources with one label has that label in its gaps too. The
    // two-pixel border is left out: there the neighbourhood is cut by the crop.
    const auto yf = ay.unsqueeze(1).to(torch::kFloat32);
    const auto pool = [](const torch::Tensor& t) {
      return torch::max_pool2d(t, {5, 5}, {1, 1}, {2, 2}).squeeze(1);
    };
    auto inside = torch::zeros_like(pad);
    inside.narrow(1, 2, ay.size(1) - 4).narrow(2, 2, ay.size(2) - 4).fill_(true);
    const auto uniform = (pool(yf) == -pool(-yf)) & pad.logical_not() & inside;
    const auto m = uniform.unsqueeze(1).expand_as(ax);
    const auto code = label_code(ay.clamp_max(kClasses - 1));
    const int64_t uniform_pixels = uniform.sum().item<int64_t>();
    ASSERT_GT(uniform_pixels, 0);
    EXPECT_TRUE(torch::allclose(ax.masked_select(m), code.masked_select(m), 1e-5, 1e-5))
        << "seed " << seed << " max error "
        << (ax.masked_select(m) - code.masked_select(m)).abs().max().item<float>() << " of "
        << uniform_pixels;
    padded |= pad.any().item<bool>();
    cropped |= !torch::equal(ay, y);
  }
  EXPECT_TRUE(padded);  // scales below 1 pad ...
  EXPECT_TRUE(cropped);
}

TEST(Augmentation, ColourJitterKeepsTheLabelsAndTheColourRange) {
  torch::manual_seed(5);
  auto [x, y] = label_coded_batch(4, 16, 16);
  const auto x0 = x.clone(), y0 = y.clone();
  auto [ax, ay] = data::augment_batch(x, y, {false, false, /*color_jitter=*/true});
  EXPECT_TRUE(torch::equal(ay, y0));
  EXPECT_FALSE(torch::equal(ax, x0));
  EXPECT_GE(ax.min().item<float>(), -1.0f);
  EXPECT_LE(ax.max().item<float>(), 1.0f);
}

TEST(LabelAugment, OffByDefaultOnWhenSetAndWrittenToTheResolvedConfig) {
  nlohmann::json j = {{"generator", "G"}, {"training_set", "x"}};
  EXPECT_FALSE(matching::annotator_train_config_from_json(j, "run.json").label_augment);
  j["label_augment"] = true;
  const auto c = matching::annotator_train_config_from_json(j, "run.json");
  EXPECT_TRUE(c.label_augment);
  EXPECT_EQ(to_json(c).at("label_augment"), true);
  j["label_augment"] = "yes";
  try {
    matching::annotator_train_config_from_json(j, "run.json");
    ADD_FAILURE() << "a string was accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("run.json.label_augment"));
  }
}

namespace {

matching::AnnotatorTrainConfig augment_config(const std::string& dir, const nlohmann::json& extra) {
  auto j = lagm::test::small_annotator_run_json(dir, {{"label_augment", true}});
  j.update(extra);
  return matching::annotator_train_config_from_json(j, "test.json");
}

lagm::core::TensorDict snapshot_tensors(const std::string& run, int64_t iteration) {
  return annotator::read_snapshot(annotator::snapshot_path(run, iteration)).tensors;
}

}  // namespace

TEST(LabelAugment, ChangesPhaseOneAndResumesExactly) {
  const auto dir = lagm::test::fresh_temp_dir("label_augment").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  const auto straight = matching::train_annotator(augment_config(dir, {{"run_name", "straight"}}),
                                                  dir + "/runs", torch::kCPU)
                            .run_dir;
  const auto plain = matching::train_annotator(
                         augment_config(dir, {{"label_augment", false}, {"run_name", "plain"}}),
                         dir + "/runs", torch::kCPU)
                         .run_dir;
  const auto a = snapshot_tensors(straight, 4), p = snapshot_tensors(plain, 4);
  int differ = 0;
  const auto annotator = a.with_prefix_stripped("A.");
  for (const auto& [name, t] : annotator.items())
    differ += t.is_floating_point() && !torch::equal(t, p.at("A." + name));
  EXPECT_GT(differ, 0);  // the augmented target gradient moved A elsewhere

  const auto halted =
      matching::train_annotator(augment_config(dir, {{"total_iters", 2}, {"run_name", "halted"}}),
                                dir + "/runs", torch::kCPU)
          .run_dir;
  matching::resume_annotator_training(halted, torch::kCPU, {}, 4);
  const auto b = snapshot_tensors(halted, 4);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a.items()) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
}

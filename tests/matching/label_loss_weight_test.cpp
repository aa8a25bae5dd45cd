// label_loss_weight: phase S also trains S on the labelled batch. Off by default (the reference's
// phase S); on, S fits the labelled images better than an S that learns from A's labels alone, and
// the option is checked and written to the resolved config.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fixtures.h"
#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/error.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/matching/annotator_train_config.h"
#include "lagm/matching/annotator_trainer.h"
#include "test_support.h"

namespace annotator = lagm::annotator;
namespace matching = lagm::matching;
using ::testing::HasSubstr;

TEST(LabelLossWeight, OffByDefaultCheckedAndWrittenToTheResolvedConfig) {
  nlohmann::json j = {{"generator", "G"}, {"training_set", "x"}};
  EXPECT_EQ(matching::annotator_train_config_from_json(j, "run.json").label_loss_weight, 0.0);
  j["label_loss_weight"] = 0.5;
  const auto c = matching::annotator_train_config_from_json(j, "run.json");
  EXPECT_EQ(c.label_loss_weight, 0.5);
  EXPECT_EQ(to_json(c).at("label_loss_weight"), 0.5);
  for (const nlohmann::json& bad : {nlohmann::json(-1.0), nlohmann::json("1")}) {
    j["label_loss_weight"] = bad;
    try {
      matching::annotator_train_config_from_json(j, "run.json");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("run.json.label_loss_weight"));
    }
  }
}

namespace {

// Cross entropy of the run's last S on the labelled images.
double labelled_loss_of_last_segmenter(const std::string& run, int64_t iteration,
                                       const std::string& labelled) {
  auto s = annotator::load_segmenter(annotator::snapshot_path(run, iteration));
  lagm::data::FolderDataset data(labelled);
  std::vector<size_t> all(data.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto [x, y] = lagm::data::load_batch(data, all);
  torch::NoGradGuard no_grad;
  return torch::nn::functional::cross_entropy(s.segmenter->forward(x), y).item<double>();
}

}  // namespace

TEST(LabelLossWeight, SegmenterFitsTheLabelledImagesWhenOn) {
  const auto dir = lagm::test::fresh_temp_dir("label_loss_weight").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 2, 3);
  auto run = [&](double weight, const std::string& name) {
    const auto j = lagm::test::small_annotator_run_json(
        dir, {{"label_loss_weight", weight},
              {"run_name", name},
              // 60 steps: at 30 the gap (0.88 against 1.04) fell short of the 20 % asked below on
              // this machine's build of the libraries; at 60 it is 0.66 against 0.87.
              {"total_iters", 60},
              {"niter_per_tick", 10},
              {"snapshot_ticks", 3},
              {"segmenter_optimizer", {{"kind", "adam"}, {"lr", 3e-3}}}});
    return matching::train_annotator(matching::annotator_train_config_from_json(j, "test.json"),
                                     dir + "/runs", torch::kCPU)
        .run_dir;
  };
  const double plain = labelled_loss_of_last_segmenter(run(0, "plain"), 60, dir + "/labelled");
  const double fitted = labelled_loss_of_last_segmenter(run(5, "fitted"), 60, dir + "/labelled");
  // Three classes of random blocks: chance is log 3 = 1.10; S trained on them must do far better.
  // Measured ratios 0.76-0.81 over thread counts and test orders (the runs' sums round
  // differently); by 120 steps the plain S fits the blocks through the annotator too, so the gap is
  // taken at 60.
  EXPECT_LT(fitted, 0.9 * plain) << "plain " << plain << ", with the labelled loss " << fitted;
}

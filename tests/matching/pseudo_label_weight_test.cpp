// pseudo_label_weight: phase A adds weight * CE(A's logits, a labeller's arg-max labels of the same
// generated images) to the matching loss. Off by default (the reference's phase A); on, A's
// gradient gains exactly the weighted cross-entropy gradient, and a run records the term.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "fixtures.h"
#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/core/error.h"
#include "lagm/io/image.h"
#include "lagm/matching/annotator_train_config.h"
#include "lagm/matching/annotator_trainer.h"
#include "lagm/matching/gm_step.h"
#include "lagm/models/annotator_fpn.h"
#include "lagm/models/feature_generator.h"
#include "lagm/models/segmenter.h"
#include "test_support.h"

namespace annotator = lagm::annotator;
namespace matching = lagm::matching;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(PseudoLabelWeight, OffByDefaultCheckedAndWrittenToTheResolvedConfig) {
  nlohmann::json j = {{"generator", "G"}, {"training_set", "x"}};
  const auto plain = matching::annotator_train_config_from_json(j, "run.json");
  EXPECT_EQ(plain.pseudo_label_weight, 0.0);
  EXPECT_TRUE(plain.pseudo_labeller.empty());
  j["pseudo_labeller"] = "few/segmenter-004.safetensors";
  j["pseudo_label_weight"] = 0.5;
  const auto c = matching::annotator_train_config_from_json(j, "run.json");
  EXPECT_EQ(c.pseudo_label_weight, 0.5);
  EXPECT_EQ(to_json(c).at("pseudo_label_weight"), 0.5);
  EXPECT_EQ(to_json(c).at("pseudo_labeller"), "few/segmenter-004.safetensors");
  for (const nlohmann::json& bad :
       {nlohmann::json(-1.0), nlohmann::json("1"), nlohmann::json(std::nan(""))}) {
    j["pseudo_label_weight"] = bad;
    try {
      matching::annotator_train_config_from_json(j, "run.json");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("run.json.pseudo_label_weight"));
    }
  }
  j["pseudo_label_weight"] = 1.0;
  j.erase("pseudo_labeller");
  try {
    matching::annotator_train_config_from_json(j, "run.json");
    ADD_FAILURE() << "a weight without a labeller was accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs pseudo_labeller"));
  }
}

namespace {

std::vector<torch::Tensor> cloned(const std::vector<torch::Tensor>& grads) {
  std::vector<torch::Tensor> out;
  out.reserve(grads.size());
  for (const auto& g : grads) out.push_back(g.defined() ? g.clone() : g);
  return out;
}

}  // namespace

// A's optimizer has learning rate 0, so A stays put and phase A can be run again with another
// weight on the same images: the difference of A's gradients must be weight * d CE / d A,
// computed here on its own from the generator, A and the labeller.
TEST(PseudoLabelWeight, AddsTheWeightedCrossEntropyGradientToPhaseA) {
  const auto dir = lagm::test::fresh_temp_dir("pseudo_label_step").string();
  auto g = lagm::test::small_feature_generator(dir);
  const int64_t k = 3;
  torch::manual_seed(0);
  auto a = lagm::test::small_annotator(*g, k);
  auto s = lagm::test::small_unet(k);
  auto labeller = lagm::test::unit_scale_labeller(k);
  torch::optim::SGD opt_a(a->parameters(), torch::optim::SGDOptions(0.0));
  torch::optim::SGD opt_s(s.module().parameters(), torch::optim::SGDOptions(0.0));
  matching::GradientMatchingStep step(*g, a, s, opt_a, opt_s, "outc.*", matching::MatcherOptions{});
  step.begin_training();
  const auto x = torch::rand({2, 3, 32, 32});
  const auto y = torch::randint(0, k, {2, 32, 32}, torch::kInt64);
  const auto z = torch::randn({2, g->z_dim()});
  auto phase = [&](double weight) {
    step.set_pseudo_labeller(&labeller, weight);
    torch::manual_seed(7);  // the generator's noise, if it draws any
    return step.annotator_phase(x, y, z);
  };
  const auto plain = phase(0.0);
  const auto plain_grads = cloned(plain.annotator_grads);
  const double weight = 1.5;
  const auto pulled = phase(weight);
  EXPECT_TRUE(std::isnan(plain.loss_pseudo_label));
  EXPECT_NEAR(pulled.loss_gm, plain.loss_gm, 1e-6);

  // The term on its own: A in train mode on the same generated batch.
  torch::manual_seed(7);
  const auto batch = g->generate(z);
  a->train();
  for (auto& p : a->parameters()) p.set_requires_grad(true);
  const auto logits = a->forward(batch.features);
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    labeller.module().eval();
    target = labeller.forward(lagm::io::as_synthesized(batch.img)).argmax(1);
  }
  ASSERT_GT(std::get<0>(at::_unique(target)).numel(), 1) << "the labeller gives one class only";
  const auto ce = torch::nn::functional::cross_entropy(logits, target);
  EXPECT_NEAR(pulled.loss_pseudo_label, ce.item<double>(), 1e-5);
  const auto params = a->parameters();
  const auto ce_grads = torch::autograd::grad({ce}, params);
  ASSERT_EQ(ce_grads.size(), pulled.annotator_grads.size());
  double largest = 0;
  for (size_t i = 0; i < ce_grads.size(); ++i) {
    const auto added = pulled.annotator_grads[i] - plain_grads[i];
    const auto expected = weight * ce_grads[i];
    largest = std::max(largest, expected.abs().max().item<double>());
    EXPECT_TRUE(torch::allclose(added, expected, 1e-4, 1e-6))
        << "parameter " << i << ": max difference "
        << (added - expected).abs().max().item<double>();
  }
  EXPECT_GT(largest, 1e-4) << "the term's gradient vanished: the test would prove nothing";
}

// A run with a labeller records the term in stats.jsonl; a missing labeller is named.
TEST(PseudoLabelWeight, RunRecordsTheTermAndNamesAMissingLabeller) {
  const auto dir = lagm::test::fresh_temp_dir("pseudo_label_run").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 2, 3);
  auto train = [&](const nlohmann::json& extra) {
    return matching::train_annotator(
               matching::annotator_train_config_from_json(
                   lagm::test::small_annotator_run_json(dir, extra), "test.json"),
               dir + "/runs", torch::kCPU)
        .run_dir;
  };
  // The labeller: the segmenter S of a plain run's last snapshot.
  const auto labeller = annotator::snapshot_path(train({{"run_name", "labeller"}}), 4);
  const auto run =
      train({{"run_name", "pulled"}, {"pseudo_labeller", labeller}, {"pseudo_label_weight", 2.0}});
  std::ifstream stats(run + "/stats.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(stats, line)) {
    const auto j = nlohmann::json::parse(line);
    ASSERT_TRUE(j.at("loss_pl").is_number()) << line;
    EXPECT_GT(j.at("loss_pl").get<double>(), 0.0);
    ++lines;
  }
  EXPECT_EQ(lines, 2);
  try {
    train({{"run_name", "missing"},
           {"pseudo_labeller", dir + "/nowhere.safetensors"},
           {"pseudo_label_weight", 1.0}});
    ADD_FAILURE() << "a missing labeller was accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nowhere.safetensors"));
  }
}

// Semi-supervised downstream training: mean teacher's teacher is the student's weight average, its
// consistency weight ramps up and only the student learns from it; a run with unlabelled images
// (mean teacher or the adversarial segmenter) writes the evaluated network and resumes as if never
// stopped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "fixtures.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/downstream/mean_teacher.h"
#include "lagm/downstream/segmenter_trainer.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/segmenter.h"
#include "test_support.h"

namespace {

using lagm::downstream::MeanTeacher;
using lagm::downstream::MeanTeacherOptions;

lagm::models::Segmenter small_unet() {
  lagm::models::SegmenterConfig c;
  c.num_classes = 3;
  c.base_channels = 4;
  return lagm::models::Segmenter(c);
}

TEST(MeanTeacher, TheTeacherIsTheStudentsWeightAverage) {
  torch::manual_seed(0);
  auto student = small_unet();
  MeanTeacherOptions o;
  o.teacher_decay = 0.9;
  MeanTeacher mt(student, o, torch::kCPU);
  std::map<std::string, torch::Tensor> before;  // copies: a state dict holds the live tensors
  const auto teacher_start = lagm::core::state_dict(mt.teacher().module());
  for (const auto& [name, t] : teacher_start.items()) before[name] = t.clone();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : student.module().parameters()) p.add_(1.0);
  }
  mt.update(student, 1000);  // past the ramp: the decay itself
  const auto after = lagm::core::state_dict(mt.teacher().module());
  const auto now = lagm::core::state_dict(student.module());
  for (const auto& [name, p] : student.module().named_parameters().pairs()) {
    const auto expected = 0.9 * before.at(name) + 0.1 * now.at(name);
    EXPECT_TRUE(torch::allclose(after.at(name), expected, 1e-6, 1e-6)) << name;
  }
}

TEST(MeanTeacher, TheWeightRampsUpAndOnlyTheStudentLearns) {
  torch::manual_seed(0);
  auto student = small_unet();
  MeanTeacherOptions o;
  o.consistency_weight = 2.0;
  o.rampup_steps = 100;
  MeanTeacher mt(student, o, torch::kCPU);
  EXPECT_NEAR(mt.weight(0), 2.0 * std::exp(-5.0), 1e-12);
  EXPECT_NEAR(mt.weight(50), 2.0 * std::exp(-1.25), 1e-12);
  EXPECT_EQ(mt.weight(100), 2.0);
  EXPECT_EQ(mt.weight(5000), 2.0);
  const auto images = torch::rand({2, 3, 32, 32}) * 2 - 1;
  const auto loss = mt.consistency_loss(student, images, 100);
  ASSERT_TRUE(std::isfinite(loss.item<double>()));
  EXPECT_GT(loss.item<double>(), 0.0);
  loss.backward();
  double student_grad = 0;
  for (const auto& p : student.module().parameters())
    if (p.grad().defined()) student_grad += p.grad().abs().sum().item<double>();
  EXPECT_GT(student_grad, 0.0);
  for (const auto& p : mt.teacher().module().parameters())
    EXPECT_FALSE(p.requires_grad() || p.grad().defined());
}

lagm::downstream::SegmenterTrainConfig mean_teacher_config(const std::string& dir, int64_t epochs) {
  lagm::downstream::SegmenterTrainConfig c;
  c.data.path = dir + "/labelled";
  c.validation.path = dir + "/labelled";
  c.unlabelled.path = dir + "/unlabelled";
  c.unlabelled_per_batch = 3;
  c.segmenter.base_channels = 4;
  c.epochs = epochs;
  c.batch = 2;
  c.flip = true;
  c.semi_supervised.mean_teacher.rampup_steps = 4;
  return c;
}

// The checkpoint is the teacher (not the student), and a run stopped after an epoch and resumed
// writes what the uninterrupted run writes, bit for bit: the student and the teacher both go on.
// The same holds for the adversarial segmenter, whose discriminator and its optimizer go on.
TEST(SemiSupervisedRun, WritesTheEvaluatedNetworkAndResumesAsIfNeverStopped) {
  const auto dir = lagm::test::fresh_temp_dir("semi_supervised_run").string();
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  lagm::test::write_random_folder_dataset(dir + "/unlabelled", 6, 3);
  for (auto method : {lagm::downstream::SemiSupervisedMethod::kMeanTeacher,
                      lagm::downstream::SemiSupervisedMethod::kAdversarial}) {
    const std::string name = lagm::downstream::method_name(method);
    auto whole = mean_teacher_config(dir, 3);
    whole.semi_supervised.method = method;
    whole.semi_supervised.adversarial.self_training_start = 2;
    auto cut = whole;
    cut.epochs = 2;
    lagm::downstream::train_segmenter(whole, dir + "/whole-" + name, torch::kCPU);
    lagm::downstream::train_segmenter(cut, dir + "/cut-" + name, torch::kCPU);
    lagm::downstream::train_segmenter(whole, dir + "/cut-" + name, torch::kCPU);  // resumes
    const auto a =
        lagm::models::read_model_checkpoint(dir + "/whole-" + name + "/segmenter-002.safetensors");
    const auto b =
        lagm::models::read_model_checkpoint(dir + "/cut-" + name + "/segmenter-002.safetensors");
    for (const auto& [tensor, t] : a.tensors.items())
      EXPECT_TRUE(torch::equal(t, b.tensors.at(tensor))) << name << " " << tensor;
    // The state holds the student; mean teacher's checkpoint holds the teacher, another network.
    const auto state =
        lagm::core::read_safetensors(dir + "/whole-" + name + "/train_state.safetensors");
    const auto student = state.tensors.with_prefix_stripped("student.");
    ASSERT_FALSE(student.empty()) << name;
    EXPECT_EQ(torch::equal(student.at("outc.weight"), a.tensors.at("outc.weight")),
              method == lagm::downstream::SemiSupervisedMethod::kAdversarial)
        << name;
  }
}

// With --init, the teacher starts from the initialised student, not from random weights: after one
// step (the average's first update weighs the student 0.82) it is still the init within an Adam
// step.
TEST(MeanTeacher, TheTeacherStartsFromTheInitialisedStudent) {
  const auto dir = lagm::test::fresh_temp_dir("mean_teacher_init").string();
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  lagm::test::write_random_folder_dataset(dir + "/unlabelled", 6, 3);
  auto plain = mean_teacher_config(dir, 1);
  plain.unlabelled = {};
  plain.unlabelled_per_batch = 0;
  lagm::downstream::train_segmenter(plain, dir + "/plain", torch::kCPU);
  auto c = mean_teacher_config(dir, 1);
  c.init = dir + "/plain/segmenter-000.safetensors";
  c.max_steps = 1;
  c.seed = 5;  // other random weights than the init's
  lagm::downstream::train_segmenter(c, dir + "/mt", torch::kCPU);
  const auto init = lagm::models::read_model_checkpoint(c.init);
  const auto teacher = lagm::models::read_model_checkpoint(dir + "/mt/segmenter-000.safetensors");
  // Weights only: batch-norm statistics are the student's, copied at each update.
  for (const auto& [name, t] : init.tensors.items())
    if (name.find("running_") == std::string::npos && name.find("num_batches") == std::string::npos)
      EXPECT_LT((t - teacher.tensors.at(name)).abs().max().item<double>(), 0.01) << name;
}

TEST(MeanTeacher, SettingsOutOfRangeAreRefusedByKey) {
  const auto dir = lagm::test::fresh_temp_dir("mean_teacher_settings").string();
  lagm::test::write_random_folder_dataset(dir + "/labelled", 4, 3);
  auto c = mean_teacher_config(dir, 1);
  c.semi_supervised.mean_teacher.teacher_decay = 1.0;
  try {
    lagm::downstream::train_segmenter(c, dir + "/out", torch::kCPU);
    ADD_FAILURE() << "accepted";
  } catch (const lagm::SettingError& e) {
    EXPECT_EQ(e.key(), "teacher_decay");
  }
  c = mean_teacher_config(dir, 1);
  c.unlabelled = {};
  EXPECT_THROW(lagm::downstream::train_segmenter(c, dir + "/out2", torch::kCPU),
               lagm::SettingError);
}

}  // namespace

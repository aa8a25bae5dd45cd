// Data-parallel commands under `lagm launch` (Gloo on loopback): the same results as one process,
// and a process that fails or never joins ends the run with an error instead of a hang.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fixtures.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/safetensors.h"
#include "lagm/matching/annotator_train_config.h"
#include "lagm/matching/annotator_trainer.h"
#include "lagm/train/distributed.h"
#include "test_support.h"

using lagm::test::run_command;
using ::testing::HasSubstr;

namespace {

const std::string kLaunchLagm = LAGM_BINARY;

// A port per test process, so that parallel CTest shards do not meet on one rendezvous.
std::string port(int offset) { return std::to_string(20000 + (getpid() * 7 + offset) % 20000); }

std::string launch(int nproc, int port_offset) {
  return kLaunchLagm + " launch --nproc " + std::to_string(nproc) + " --master-port " +
         port(port_offset) + " --grace 2 -- ";
}

#define SKIP_WITHOUT_DISTRIBUTED()           \
  if (!lagm::train::distributed_available()) \
  GTEST_SKIP() << "built without Gloo (libgloo-dev): single-process only"

TEST(Launch, EvalOverTwoProcessesGivesTheOneProcessConfusionMatrix) {
  SKIP_WITHOUT_DISTRIBUTED();
  const auto dir = lagm::test::fresh_temp_dir("launch_eval").string();
  const auto model = lagm::test::write_small_segmenter(dir, 5);
  const std::string eval =
      kLaunchLagm + " eval --threads 1 --model " + model + " --data " + dir + "/data --json ";
  const auto [one_code, one_out] = run_command(eval + dir + "/one.json");
  ASSERT_EQ(one_code, 0) << one_out;
  // Five images over two processes: shares of 3 and 2 batches.
  const auto [two_code, two_out] = run_command(launch(2, 0) + eval + dir + "/two.json");
  ASSERT_EQ(two_code, 0) << two_out;
  const auto one = nlohmann::json::parse(lagm::core::read_file(dir + "/one.json"));
  const auto two = nlohmann::json::parse(lagm::core::read_file(dir + "/two.json"));
  EXPECT_EQ(one.at("confusion_pred_by_gt"), two.at("confusion_pred_by_gt"));
  EXPECT_EQ(one.at("mIoU"), two.at("mIoU"));
  // Rank 0 alone reports.
  EXPECT_EQ(lagm::test::count_lines(two_out), lagm::test::count_lines(one_out)) << two_out;
}

TEST(Launch, SynthesisOverTwoProcessesWritesTheOneProcessDataSet) {
  SKIP_WITHOUT_DISTRIBUTED();
  const auto dir = lagm::test::fresh_temp_dir("launch_synth").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 2, 3);
  const auto run =
      lagm::matching::train_annotator(lagm::matching::annotator_train_config_from_json(
                                          lagm::test::small_annotator_run_json(dir), "test.json"),
                                      dir + "/runs", torch::kCPU)
          .run_dir;
  const std::string synth =
      kLaunchLagm + " synthesize --threads 1 --run " + run + " --num 5 --out ";
  const auto [one_code, one_out] = run_command(synth + dir + "/one");
  ASSERT_EQ(one_code, 0) << one_out;
  const auto [two_code, two_out] = run_command(launch(2, 1) + synth + dir + "/two");
  ASSERT_EQ(two_code, 0) << two_out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/two/dataset.json"));
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/one")) {
    if (!e.is_regular_file() || e.path().filename().string()[0] == '.') continue;
    const auto rel = std::filesystem::relative(e.path(), dir + "/one").string();
    if (rel == "dataset.json") continue;  // names its own folder
    ++files;
    EXPECT_EQ(lagm::core::read_file(e.path().string()), lagm::core::read_file(dir + "/two/" + rel))
        << rel;
  }
  EXPECT_GE(files, 10);  // an image and a mask per sample at least
}

// The mean absolute difference of two checkpoints' float tensors; with `prefixes`, of the tensors
// whose names start with one of them only.
double mean_abs_difference(const std::string& a, const std::string& b,
                           const std::vector<std::string>& prefixes = {}) {
  const auto ta = lagm::core::read_safetensors(a).tensors;
  const auto tb = lagm::core::read_safetensors(b).tensors;
  double sum = 0;
  int64_t count = 0;
  for (const auto& item : ta.items()) {
    // A named reference, not a structured binding: C++17 lambdas cannot capture those (clang
    // refuses).
    const std::string& name = item.first;
    const torch::Tensor& t = item.second;
    const bool kept = prefixes.empty() ||
                      std::any_of(prefixes.begin(), prefixes.end(),
                                  [&](const std::string& p) { return name.rfind(p, 0) == 0; });
    if (!t.is_floating_point() || !kept) continue;
    sum += (t - tb.at(name)).abs().sum().item<double>();
    count += t.numel();
  }
  return sum / static_cast<double>(count);
}

double first_loss(const std::string& run) {
  return std::stod(
      lagm::core::read_safetensors(run + "/train_state.safetensors").metadata.at("first_loss"));
}

// train-seg over two processes with synchronized BatchNorm trains as one process with the whole
// batch: the same losses (to float rounding) and nearly the same weights, far closer than the
// training moved them; with per-process statistics (DDP's default) it still runs and resumes.
TEST(Launch, TrainSegOverTwoProcessesTrainsAsOneWithSyncBatchNorm) {
  SKIP_WITHOUT_DISTRIBUTED();
  const auto dir = lagm::test::fresh_temp_dir("launch_train_seg").string();
  // 10 images in batches of 4: shares of 2 + 2, and a last batch of 2 (1 + 1).
  lagm::test::write_random_folder_dataset(dir + "/data", 10, 3);
  const std::string train = kLaunchLagm + " train-seg --threads 1 --data " + dir +
                            "/data --base-channels 4 --epochs 2 --batch 4 --out ";
  const auto [one_code, one_out] = run_command(train + dir + "/one");
  ASSERT_EQ(one_code, 0) << one_out;
  const auto [sync_code, sync_out] = run_command(launch(2, 3) + train + dir + "/sync --sync-bn");
  ASSERT_EQ(sync_code, 0) << sync_out;
  EXPECT_NEAR(first_loss(dir + "/sync"), first_loss(dir + "/one"), 1e-4 * first_loss(dir + "/one"));
  const double moved = mean_abs_difference(dir + "/one/segmenter-000.safetensors",
                                           dir + "/one/segmenter-001.safetensors");
  const double apart = mean_abs_difference(dir + "/one/segmenter-001.safetensors",
                                           dir + "/sync/segmenter-001.safetensors");
  EXPECT_LT(apart, 0.05 * moved) << "moved " << moved << ", apart " << apart;
  // The checkpoints say how they were made: two data-parallel processes, and the command.
  const auto made =
      lagm::annotator::load_segmenter(dir + "/sync/segmenter-001.safetensors").description;
  EXPECT_EQ(made.processes, 2);
  EXPECT_THAT(made.command, HasSubstr("--sync-bn"));
  EXPECT_EQ(
      lagm::annotator::load_segmenter(dir + "/one/segmenter-001.safetensors").description.processes,
      1);
  // Per-process statistics: trains, and --resume with more epochs continues after the last one.
  const auto [plain_code, plain_out] = run_command(launch(2, 4) + train + dir + "/plain");
  ASSERT_EQ(plain_code, 0) << plain_out;
  const auto [more_code, more_out] = run_command(
      launch(2, 5) + kLaunchLagm + " train-seg --threads 1 --epochs 3 --resume " + dir + "/plain");
  ASSERT_EQ(more_code, 0) << more_out;
  EXPECT_THAT(more_out, HasSubstr("resumed after epoch 1"));
  EXPECT_EQ(lagm::test::count_lines(lagm::core::read_file(dir + "/plain/log.txt")), 3);
  // A batch too small to share out is refused before any work.
  const auto [small_code, small_out] =
      run_command(launch(3, 6) + kLaunchLagm + " train-seg --threads 1 --data " + dir +
                  "/data --batch 2 --samples-per-epoch 2 --out " + dir + "/small");
  EXPECT_EQ(small_code, 2) << small_out;
  EXPECT_THAT(small_out, HasSubstr("cannot be shared out among 3 processes"));
}

// The A. and S. tensors of a phase-I snapshot, the optimizer moments and the RNG state left out.
double networks_difference(const std::string& a, const std::string& b) {
  return mean_abs_difference(a, b, {"A.", "S."});
}

// The tick lines of a phase-I run's stats.jsonl.
std::vector<nlohmann::json> ticks(const std::string& run) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(lagm::core::read_file(run + "/stats.jsonl"));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Phase I over two processes (batches of 3 split 2 + 1; A's and S's BatchNorm synchronized, the
// matching loss back-propagated through each share) is the one-process run: the same losses to
// float rounding and networks far closer than the training moved them; and a data-parallel run
// resumed from its snapshot continues as the uninterrupted one.
TEST(Launch, TrainAnnotatorOverTwoProcessesTrainsAsOne) {
  SKIP_WITHOUT_DISTRIBUTED();
  const auto dir = lagm::test::fresh_temp_dir("launch_phase_one").string();
  lagm::test::write_small_generator(dir);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 5, 3);
  std::ofstream(dir + "/run.json")
      << lagm::test::small_annotator_run_json(dir, {{"batch", 3}, {"label_batch", 3}}).dump();
  const std::string train =
      kLaunchLagm + " train-annotator --threads 1 --config " + dir + "/run.json --runs ";
  const auto [one_code, one_out] = run_command(train + dir + "/one");
  ASSERT_EQ(one_code, 0) << one_out;
  const auto [two_code, two_out] = run_command(launch(2, 7) + train + dir + "/two");
  ASSERT_EQ(two_code, 0) << two_out;
  const std::string one = dir + "/one/00000-r", two = dir + "/two/00000-r";
  const auto one_ticks = ticks(one), two_ticks = ticks(two);
  ASSERT_EQ(one_ticks.size(), 2u);
  ASSERT_EQ(two_ticks.size(), 2u);
  for (size_t i = 0; i < one_ticks.size(); ++i)
    for (const char* loss : {"loss_label", "loss_syn_A", "loss_gm", "loss_syn_S"}) {
      const double a = one_ticks[i].at(loss).get<double>(), b = two_ticks[i].at(loss).get<double>();
      EXPECT_NEAR(b, a, 1e-4 * std::abs(a) + 1e-7) << loss << " at tick " << i;
    }
  const double moved = networks_difference(one + "/snapshots/000002.safetensors",
                                           one + "/snapshots/000004.safetensors");
  const double apart = networks_difference(one + "/snapshots/000004.safetensors",
                                           two + "/snapshots/000004.safetensors");
  EXPECT_LT(apart, 0.05 * moved) << "moved " << moved << ", apart " << apart;
  // Per-process BatchNorm statistics (sync_batch_norm false): a valid run, not the one-process run.
  std::ofstream(dir + "/local.json")
      << lagm::test::small_annotator_run_json(
             dir,
             {{"batch", 3}, {"label_batch", 3}, {"sync_batch_norm", false}, {"run_name", "local"}})
             .dump();
  const auto [local_code, local_out] =
      run_command(launch(2, 10) + kLaunchLagm + " train-annotator --threads 1 --config " + dir +
                  "/local.json --runs " + dir + "/two");
  ASSERT_EQ(local_code, 0) << local_out;
  const double local_label = ticks(dir + "/two/00001-local")[0].at("loss_label").get<double>();
  const double one_label = one_ticks[0].at("loss_label").get<double>();
  EXPECT_GT(std::abs(local_label - one_label), 1e-4 * one_label);
  // Rank 0 alone writes and reports.
  EXPECT_FALSE(std::filesystem::exists(dir + "/two/00002-r"));
  EXPECT_EQ(lagm::test::count_lines(two_out), lagm::test::count_lines(one_out)) << two_out;

  // Interrupted after its first snapshot (the later one removed) and resumed on two processes.
  std::filesystem::remove(two + "/snapshots/000004.safetensors");
  const auto [again_code, again_out] =
      run_command(launch(2, 8) + kLaunchLagm + " train-annotator --threads 1 --resume " + two);
  ASSERT_EQ(again_code, 0) << again_out;
  EXPECT_THAT(again_out, HasSubstr("resumed from"));
  EXPECT_LT(networks_difference(one + "/snapshots/000004.safetensors",
                                two + "/snapshots/000004.safetensors"),
            0.05 * moved);
  EXPECT_EQ(ticks(two).size(), 2u);
}

// The same with the terms the demo adds to matching: class-balanced losses and the pull towards a
// pseudo-labeller's labels (each process's share over the whole batch's pixels).
TEST(Launch, TrainAnnotatorWithPseudoLabelsOverTwoProcessesTrainsAsOne) {
  SKIP_WITHOUT_DISTRIBUTED();
  const auto dir = lagm::test::fresh_temp_dir("launch_phase_one_pulled").string();
  lagm::test::write_small_generator(dir);
  const auto labeller = lagm::test::write_small_segmenter(dir, 3);
  lagm::test::write_random_folder_dataset(dir + "/labelled", 5, 3);
  std::ofstream(dir + "/run.json")
      << lagm::test::small_annotator_run_json(dir, {{"batch", 3},
                                                    {"label_batch", 3},
                                                    {"class_balance_power", 1.0},
                                                    {"pseudo_labeller", labeller},
                                                    {"pseudo_label_weight", 1.0}})
             .dump();
  const std::string train =
      kLaunchLagm + " train-annotator --threads 1 --config " + dir + "/run.json --runs ";
  const auto [one_code, one_out] = run_command(train + dir + "/one");
  ASSERT_EQ(one_code, 0) << one_out;
  const auto [two_code, two_out] = run_command(launch(2, 9) + train + dir + "/two");
  ASSERT_EQ(two_code, 0) << two_out;
  const auto one_ticks = ticks(dir + "/one/00000-r"), two_ticks = ticks(dir + "/two/00000-r");
  ASSERT_EQ(one_ticks.size(), two_ticks.size());
  for (size_t i = 0; i < one_ticks.size(); ++i)
    for (const char* loss : {"loss_label", "loss_syn_A", "loss_gm", "loss_syn_S", "loss_pl"}) {
      const double a = one_ticks[i].at(loss).get<double>(), b = two_ticks[i].at(loss).get<double>();
      EXPECT_NEAR(b, a, 1e-4 * std::abs(a) + 1e-7) << loss << " at tick " << i;
    }
}

TEST(Launch, AFailingProcessStopsTheOthersAndItsStatusIsReturned) {
  const auto start = std::chrono::steady_clock::now();
  const auto [code, out] =
      run_command(kLaunchLagm +
                  " launch --nproc 3 --grace 1 -- sh -c 'if [ \"$RANK\" = 1 ]; then exit 3; fi; "
                  "sleep 60'");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(code, 3) << out;
  EXPECT_LT(seconds, 30) << "the surviving processes were not stopped";
  EXPECT_THAT(out, HasSubstr("exited with status 3"));
}

TEST(Launch, EveryProcessGetsTorchrunsVariables) {
  const auto dir = lagm::test::fresh_temp_dir("launch_env").string();
  const auto [code, out] =
      run_command(kLaunchLagm +
                  " launch --nproc 2 --master-port 29999 -- sh -c 'echo \"$RANK $LOCAL_RANK "
                  "$WORLD_SIZE $LOCAL_WORLD_SIZE $MASTER_ADDR $MASTER_PORT\" > " +
                  dir + "/rank$RANK'");
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(lagm::core::read_file(dir + "/rank0"), "0 0 2 2 127.0.0.1 29999\n");
  EXPECT_EQ(lagm::core::read_file(dir + "/rank1"), "1 1 2 2 127.0.0.1 29999\n");
}

TEST(Launch, ARankWhosePeerNeverJoinsFailsWithinTheTimeout) {
  SKIP_WITHOUT_DISTRIBUTED();
  const auto dir = lagm::test::fresh_temp_dir("launch_alone").string();
  const auto model = lagm::test::write_small_segmenter(dir, 2);
  const auto start = std::chrono::steady_clock::now();
  const auto [code, out] =
      run_command("RANK=0 WORLD_SIZE=2 MASTER_PORT=" + port(2) + " LAGM_DISTRIBUTED_TIMEOUT=3 " +
                  kLaunchLagm + " eval --threads 1 --model " + model + " --data " + dir + "/data");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(code, 1) << out;
  EXPECT_LT(seconds, 60);
  EXPECT_THAT(out, HasSubstr("rank 0 of 2"));
  EXPECT_EQ(lagm::test::count_lines(out), 1) << out;
}

TEST(Launch, BadUsageExitsTwo) {
  for (const char* args : {"--nproc 0 -- true", "--nproc 2", "--nproc 2 --master-port 0 -- true"}) {
    const auto [code, out] = run_command(kLaunchLagm + " launch " + args);
    EXPECT_EQ(code, 2) << args << ": " << out;
  }
}

}  // namespace

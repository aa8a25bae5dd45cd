// The one training loop: where it ticks and saves (fresh and resumed, units of one and of many),
// the means a tick sees, and the finite-loss check with the place it names.
#include "lagm/train/training_loop.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lagm/core/error.h"

namespace lt = lagm::train;

namespace {

// Records what the loop asked of it; each unit reports its own index as the loss "x" (and "y" on
// even units), or NaN at `nan_at`.
class Recorder : public lt::Trainable {
 public:
  explicit Recorder(int64_t units_per_call = 1, int64_t nan_at = -1)
      : units_per_call_(units_per_call), nan_at_(nan_at) {}

  int64_t run_unit(int64_t done, lt::TickLosses& losses) override {
    units.push_back(done);
    const double x = done == nan_at_ ? std::nan("") : static_cast<double>(done);
    losses.add("x", x, "the x loss", done % 2 == 1 ? "part " + std::to_string(done) : "");
    if (done % 2 == 0) losses.add("y", 1.0, "the y loss");
    return units_per_call_;
  }
  void tick(const lt::LoopState& s) override {
    ticks.push_back(s.done);
    x_means.push_back(s.losses.mean("x"));
    y_means.push_back(s.losses.mean("y"));
    EXPECT_GE(s.seconds_per_unit, 0.0);
    EXPECT_EQ(s.total, total);
  }
  void save(const lt::LoopState& s) override { saves.push_back(s.done); }

  int64_t total = 0;
  std::vector<int64_t> units, ticks, saves;
  std::vector<double> x_means, y_means;

 private:
  int64_t units_per_call_, nan_at_;
};

lt::LoopSchedule schedule(int64_t done, int64_t total, int64_t per_tick, int64_t per_save) {
  lt::LoopSchedule s;
  s.done = done, s.total = total, s.units_per_tick = per_tick, s.units_per_save = per_save;
  return s;
}

}  // namespace

TEST(TrainingLoop, TicksAndSavesAtMultiplesAndAtTheEnd) {
  Recorder r;
  r.total = 10;
  lt::run_training_loop(r, schedule(0, 10, 3, 6));
  EXPECT_EQ(r.units, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(r.ticks, (std::vector<int64_t>{3, 6, 9, 10}));
  EXPECT_EQ(r.saves, (std::vector<int64_t>{6, 10}));
  // Each tick's means cover its own units only: 0..2, 3..5, 6..8, 9.
  EXPECT_EQ(r.x_means, (std::vector<double>{1.0, 4.0, 7.0, 9.0}));
  EXPECT_EQ(r.y_means[0], 1.0);
  EXPECT_TRUE(std::isnan(r.y_means[3])) << "unit 9 reported no y";
}

// A resumed run continues the same schedule: its ticks fall where the whole run's would.
TEST(TrainingLoop, AResumedRunKeepsTheWholeRunsSchedule) {
  Recorder r;
  r.total = 10;
  lt::run_training_loop(r, schedule(4, 10, 3, 0));
  EXPECT_EQ(r.units.front(), 4);
  EXPECT_EQ(r.ticks, (std::vector<int64_t>{6, 9, 10}));
  EXPECT_EQ(r.saves, (std::vector<int64_t>{10})) << "units_per_save 0 saves at the end only";
  Recorder finished;
  finished.total = 10;
  lt::run_training_loop(finished, schedule(10, 10, 3, 3));
  EXPECT_TRUE(finished.units.empty() && finished.ticks.empty() && finished.saves.empty());
}

// Units of many (a GAN batch of images): a tick where the count crosses a multiple, once.
TEST(TrainingLoop, UnitsOfManyTickWhereTheCountCrossesAMultiple) {
  Recorder r(/*units_per_call=*/24);
  r.total = 100;
  lt::run_training_loop(r, schedule(0, 100, 50, 1000));
  EXPECT_EQ(r.units, (std::vector<int64_t>{0, 24, 48, 72, 96}));
  EXPECT_EQ(r.ticks, (std::vector<int64_t>{72, 120}));
  EXPECT_EQ(r.saves, (std::vector<int64_t>{120}));
  EXPECT_TRUE(lt::crosses_multiple(48, 72, 50));
  EXPECT_FALSE(lt::crosses_multiple(50, 99, 50));
  EXPECT_FALSE(lt::crosses_multiple(0, 99, 0));
}

TEST(TrainingLoop, ALossThatIsNotFiniteStopsTheRunNamingWhereAndWhat) {
  for (const int64_t at : {4, 5}) {
    Recorder r(1, at);
    r.total = 10;
    auto s = schedule(0, 10, 3, 3);
    s.unit = "epoch";
    try {
      lt::run_training_loop(r, s);
      ADD_FAILURE() << "a NaN loss was accepted";
    } catch (const lagm::Error& e) {
      const std::string where =
          at == 4 ? "at epoch 4:" : "at epoch 5, part 5:";  // the unit, then the trainer's detail
      EXPECT_NE(std::string(e.what()).find("the x loss is NaN " + where), std::string::npos)
          << e.what();
    }
    EXPECT_EQ(r.saves, (std::vector<int64_t>{3})) << "no save after the failing unit";
  }
}

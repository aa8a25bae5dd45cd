#include "option_ranges.h"

#include <stdexcept>

#include "cli_common.h"

namespace lagm::cli {
namespace {

// numpy.random.RandomState takes seeds in [0, 2^32): a seed names the same image as in the
// reference's tools, so every seed option keeps to it.
constexpr double kMaxSeed = 4294967295.0;
// Far above what any machine here runs (2 cores; a large server has 256), far below a typo.
constexpr double kMaxThreads = 1024;
constexpr double kMaxBatch = 4096, kMaxRes = 8192, kMaxImages = 1e7;

}  // namespace

const std::vector<OptionRange>& option_ranges() {
  static const std::vector<OptionRange> table = {
      {"*", "--threads", 0, kMaxThreads},
      {"*", "--seed", 0, kMaxSeed},
      {"eval", "--batch", 1, kMaxBatch},
      {"eval", "--res", 0, kMaxRes},
      {"eval", "--grid-count", 0, 1024},
      {"eval", "--cv", 0, 100},
      {"predict", "--batch", 1, kMaxBatch},
      {"predict", "--res", 0, kMaxRes},
      {"generate", "--batch", 1, kMaxBatch},
      {"generate", "--cols", 0, 1024},
      {"render", "--res", 16, 4096},
      {"render", "--num", 1, kMaxImages},
      {"synthesize", "--num", 1, kMaxImages},
      {"synthesize", "--seed-base", 0, kMaxSeed},
      {"synthesize", "--confidence-threshold", 0, 1},
      {"synthesize", "--keep-top", 0, 1},
      {"synthesize", "--min-confidence", 0, 1},
      {"synthesize", "--calibration-images", 1, 100000},
      {"annotator-quality", "--num", 1, 100000},
      {"annotator-quality", "--seed-base", 0, kMaxSeed},
      {"annotator-quality", "--calibration-images", 1, 100000},
      {"gan-quality", "--num", 1, 100000},
      {"train-seg", "--res", 0, kMaxRes},
      {"train-seg", "--epochs", 1, 1e6},
      {"train-seg", "--batch", 1, kMaxBatch},
      {"train-seg", "--lr", 1e-12, 10},
      {"train-seg", "--base-channels", 1, 1024},
      {"train-seg", "--aspp-dropout", 0, 1},
      {"train-seg", "--class-balance", 0, 1},
      {"train-seg", "--samples-per-epoch", 0, 1e9},
      {"train-seg", "--mix-per-batch", 0, kMaxBatch},
      {"train-seg", "--max-steps", 0, 1e12},
      {"train-annotator", "--total-iters", 0, 1e9},
      {"train-annotator-supervised", "--steps", 1, 1e9},
      {"train-annotator-supervised", "--batch", 1, kMaxBatch},
      {"train-annotator-supervised", "--lr", 1e-12, 10},
      {"train-annotator-supervised", "--members", 1, 100},
      {"train-annotator-supervised", "--tmp-channels", 1, 4096},
      {"train-annotator-supervised", "--num-layers", 1, 64},
      {"train-annotator-supervised", "--snapshot-steps", 1, 1e9},
      {"train-gan", "--res", 8, 1024},
      {"train-gan", "--batch", 1, 1024},
      {"train-gan", "--kimg", 1e-6, 1e9},
      {"train-gan", "--snapshot-kimg", 1e-6, 1e9},
      {"project", "--steps", 1, 1e6},
      {"project", "--w-avg-samples", 1, 1e7},
      {"data-export", "--limit", 0, 1e9},
      {"prepare-pascal-part", "--min-box-side", 0, 1e5},
      {"prepare-pascal-part", "--train-count", 0, 1e7},
      {"demo", "--labels", 1, 10000},
      {"launch", "--nproc", 1, 256},
      {"launch", "--grace", 0, 3600},
  };
  return table;
}

namespace {

CLI::Validator non_empty() {
  // An empty value ("--out ''", an unset shell variable) would otherwise read as "not given": a
  // run without its output, or a library's message about the path "".
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return text.empty() ? "an empty value is not allowed (give one, or leave the option out)"
                            : "";
      },
      "");
}

}  // namespace

void apply_option_ranges(CLI::App& app) {
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    for (CLI::Option* o : command->get_options())
      if (o->get_type_size() != 0) o->check(non_empty());
    for (const auto& r : option_ranges()) {
      if (r.command != "*" && r.command != command->get_name()) continue;
      CLI::Option* option = nullptr;
      for (CLI::Option* o : command->get_options())
        if (o->check_name(r.option)) option = o;
      if (!option) {
        if (r.command == "*") continue;  // a shared option this command does not have
        throw std::logic_error("option_ranges: " + r.command + " has no option " + r.option);
      }
      option->check(in_range(r.low, r.high));
    }
  }
}

}  // namespace lagm::cli

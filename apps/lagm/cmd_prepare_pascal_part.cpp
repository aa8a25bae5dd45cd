// lagm prepare-pascal-part: the paper's Pascal-Horse / Pascal-Aeroplane crops from PASCAL VOC 2010
// and the PASCAL-Part .mat annotations. Writes <out>/<obj>/train (with
// train_set.txt / val_set.txt) and <out>/<obj>/test, which PascalPartDataset reads.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/data/pascal_part_prepare.h"
#include "lagm/io/run_directory.h"

namespace lagm::cli {
namespace {

struct PreparePascalPartArgs {
  CommonArgs common;
  data::PascalPartPrepareOptions options;
};

void run_prepare_pascal_part(const PreparePascalPartArgs& args) {
  apply_common(args.common);
  // One progress line per stage (part maps, then crops, per split), with its own rate and ETA.
  std::string stage_now;
  auto stage_start = std::chrono::steady_clock::now();
  auto progress = [&](int64_t done, int64_t total, const std::string& stage) {
    if (stage != stage_now) {
      if (!stage_now.empty()) std::fprintf(stderr, "\n");
      stage_now = stage;
      stage_start = std::chrono::steady_clock::now();
    }
    const double sec =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - stage_start).count();
    const double rate = double(done) / std::max(sec, 1e-3);
    std::fprintf(stderr, "\r%s %lld/%lld  %.1f images/s  ETA %s   ", stage.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total), rate,
                 io::format_duration(double(total - done) / rate).c_str());
  };
  const auto reports = data::prepare_pascal_part(args.options, progress);
  std::fprintf(stderr, "\n");
  for (const auto& r : reports)
    std::printf(
        "%s/%s/%s: %lld images, %lld crops (discarded: %lld overlapping, %lld small, %lld under "
        "1%% parts)\n",
        args.options.out.c_str(), args.options.obj.c_str(), r.split.c_str(),
        static_cast<long long>(r.images), static_cast<long long>(r.crops),
        static_cast<long long>(r.discarded_overlap), static_cast<long long>(r.discarded_small),
        static_cast<long long>(r.discarded_empty));
}

}  // namespace

void add_prepare_pascal_part_command(CLI::App& app) {
  auto args = std::make_shared<PreparePascalPartArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand(
      "prepare-pascal-part",
      "build the Pascal-Horse/Aeroplane crops from VOC2010 + PASCAL-Part annotations");
  cmd->add_option("--voc", o.voc, "VOC2010 folder (JPEGImages/, Annotations/, ImageSets/Main/)")
      ->required();
  cmd->add_option("--parts", o.parts,
                  "PASCAL-Part Annotations_Part folder of .mat files "
                  "(default <voc>/part_segmentation/Annotations_Part)");
  cmd->add_option("--obj", o.obj, "horse or aeroplane")
      ->required()
      ->check(CLI::IsMember({"horse", "aeroplane"}));
  cmd->add_option("--out", o.out, "output root; writes <out>/<obj>/train and <out>/<obj>/test")
      ->required();
  cmd->add_option("--min-box-side,--minpx", o.min_pixels,
                  "smallest box width and height kept, in pixels (default: horse 32, aeroplane 50; "
                  "--minpx: the "
                  "reference's name)");
  cmd->add_option("--train-count", o.train_count,
                  "first N train crops (sorted) form train_set.txt, the rest val_set.txt")
      ->capture_default_str();
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_prepare_pascal_part(*args); });
}

}  // namespace lagm::cli

// lagm annotator-quality: per-class IoU of an annotator's labels against an oracle segmenter's on
// the same generated images, and the class frequencies of both and of the labelled set: a figure
// of phase I that needs no synthesis and no downstream training (seconds instead of minutes).
#include <torch/torch.h>

#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/synth/annotator_quality.h"

namespace lagm::cli {
namespace {

struct AnnotatorQualityArgs {
  CommonArgs common;
  synth::AnnotatorQualityOptions options;
  std::string oracle, json;
};

void print_quality(const synth::AnnotatorQuality& q) {
  std::printf("%s\n%-12s %8s %12s %12s %12s %8s\n", q.snapshot.c_str(), "class", "IoU %",
              "annotator %", "oracle %", "labelled %", "offset");
  for (size_t c = 0; c < q.class_names.size(); ++c)
    std::printf(
        "%-12s %8.1f %12.2f %12.2f %12s %8s\n", q.class_names[c].c_str(), 100 * q.vs_oracle.iou[c],
        100 * q.annotator_frequencies[c], 100 * q.oracle_frequencies[c],
        q.labelled_frequencies.empty()
            ? "-"
            : std::to_string(100 * q.labelled_frequencies[c]).substr(0, 5).c_str(),
        q.logit_offsets.empty() ? "-" : std::to_string(q.logit_offsets[c]).substr(0, 6).c_str());
  std::printf("mIoU %.1f  FG-mIoU %.1f  pACC %.1f (annotator labels against the oracle's)\n",
              100 * q.vs_oracle.mean_iou, 100 * q.vs_oracle.fg_mean_iou,
              100 * q.vs_oracle.pixel_accuracy);
}

void run_annotator_quality(AnnotatorQualityArgs& args) {
  args.options.device = apply_common(args.common);
  refuse_outputs_over_inputs({{"--json", args.json}},
                             {{"--run", args.options.run_dir}, {"--oracle", args.oracle}});
  auto oracle = annotator::load_segmenter(resolve_model_path(args.oracle, "--oracle"));
  oracle.segmenter->module().to(args.options.device);
  const auto q =
      synth::measure_annotator_quality(args.options, *oracle.segmenter, oracle.class_names);
  print_quality(q);
  if (!args.json.empty()) core::write_file_atomic(args.json, q.to_json().dump(1) + "\n");
}

}  // namespace

void add_annotator_quality_command(CLI::App& app) {
  auto args = std::make_shared<AnnotatorQualityArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand(
      "annotator-quality",
      "per-class IoU of an annotator's labels against an oracle segmenter on generated images");
  cmd->add_option("--run", o.run_dir, "train-annotator run directory")->required();
  cmd->add_option("--snapshot", o.snapshot, "best, latest or an iteration")->capture_default_str();
  cmd->add_option("--oracle", args->oracle,
                  "segmenter checkpoint that labels generated images well (a run folder or a demo "
                  "arm's = its best checkpoint)")
      ->required();
  cmd->add_option("--num", o.num, "generated images")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed-base", o.seed_base, "image i uses seed base + i")->capture_default_str();
  add_on_off_option(*cmd, "--calibrate-priors", o.calibrate_priors,
                    "measure with the prior calibration of synthesize --calibrate-priors");
  cmd->add_option("--calibration-images", o.calibration_images,
                  "generated images the offsets are fitted on")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--json", args->json, "also write the numbers here");
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_annotator_quality(*args); });
}

}  // namespace lagm::cli

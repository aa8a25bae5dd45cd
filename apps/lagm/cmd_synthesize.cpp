// lagm synthesize: a labelled data set from a train-annotator run (generator + annotator).
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/core/parse_int.h"
#include "lagm/synth/synthesize.h"
#include "lagm/train/distributed.h"
#include "lagm/train/precision.h"

namespace lagm::cli {
namespace {

struct SynthesizeArgs {
  CommonArgs common;
  synth::SynthesizeOptions options;
  std::string shard = "0/1";
  std::string precision = "fp32", rank_by;
  CLI::Option* shard_option = nullptr;
};

void run_synthesize(SynthesizeArgs args) {
  args.options.device = apply_common(args.common);
  refuse_outputs_over_inputs(
      {{"--out", args.options.out}},
      {{"--run", args.options.run_dir}, {"--generator", args.options.generator}});
  args.options.precision = train::parse_precision(args.precision, "--precision");
  if (!args.rank_by.empty()) args.options.rank_by = synth::parse_rank_by(args.rank_by);
  // Whole integers on both sides: "1x/4" must not pass as 1/4.
  const auto slash = args.shard.find('/');
  const auto k =
      slash == std::string::npos ? std::nullopt : core::parse_int64(args.shard.substr(0, slash));
  const auto n =
      slash == std::string::npos ? std::nullopt : core::parse_int64(args.shard.substr(slash + 1));
  if (!k || !n) throw UsageError("--shard '" + args.shard + "': expected k/n, e.g. 0/4");
  args.options.shard_index = *k;
  args.options.shard_count = *n;
  // Data-parallel (lagm launch): each rank writes its share unless --shard says otherwise.
  const auto env = train::distributed_env_from_environment();
  const bool parallel = env.active() && args.shard_option->count() == 0;
  if (parallel) args.options.shard_index = env.rank, args.options.shard_count = env.world_size;
  const auto progress = [](const std::string& l) { std::fprintf(stderr, "%s\n", l.c_str()); };
  auto r = synth::synthesize(args.options, progress);
  if (parallel) {
    // The shard that finishes last writes dataset.json; ranks finishing together may each see
    // another's share unfinished, so rank 0 looks again once every rank is done.
    train::ProcessGroup group(env);
    group.barrier();
    if (env.rank != 0) return;
    if (!r.complete) r = synth::synthesize(args.options, progress);
  }
  std::printf("%s: %lld written, %lld already present (snapshot %s)%s\n", args.options.out.c_str(),
              static_cast<long long>(r.written), static_cast<long long>(r.already_present),
              r.snapshot.c_str(),
              r.complete ? "; dataset.json written" : "; other shards still missing");
}

}  // namespace

void add_synthesize_command(CLI::App& app) {
  auto args = std::make_shared<SynthesizeArgs>();
  auto* cmd = app.add_subcommand(
      "synthesize", "generate a labelled data set with a trained annotator (phase II)");
  auto& o = args->options;
  cmd->add_option("--run", o.run_dir, "train-annotator run directory")->required();
  cmd->add_option("--snapshot", o.snapshot, "best, latest or an iteration")->capture_default_str();
  cmd->add_option("--num", o.num, "number of images")->capture_default_str();
  cmd->add_option("--out", o.out, "output data set folder")->required();
  cmd->add_option("--seed-base", o.seed_base, "image i uses seed base + i")->capture_default_str();
  args->shard_option =
      cmd->add_option("--shard", args->shard,
                      "write share k of n (k/n); under lagm launch, the rank's share by default")
          ->capture_default_str();
  cmd->add_option("--generator", o.generator, "generator checkpoint (default: the run's)");
  cmd->add_option_function<double>(
         "--psi", [args](double psi) { args->options.truncation_psi = psi; },
         "truncation psi of the synthesized images (default: the run's, the psi the annotator "
         "learnt with)")
      ->check(finite_number());
  cmd->add_option("--confidence-threshold", o.confidence_threshold,
                  "max-softmax below which a pixel is uncertain")
      ->capture_default_str()
      ->check(finite_number());
  cmd->add_option("--keep-top", o.keep_top,
                  "keep this fraction of the best-ranked images (--rank-by)")
      ->capture_default_str()
      ->check(finite_number());
  cmd->add_option("--rank-by", args->rank_by,
                  "how --keep-top ranks: confidence, or uncertainty (an mlp_ensemble's members' "
                  "disagreement, DatasetGAN's filter; its default)");
  cmd->add_option("--min-confidence", o.min_confidence,
                  "drop images whose mean max-softmax is lower")
      ->capture_default_str()
      ->check(finite_number());
  cmd->add_option("--precision", args->precision,
                  "fp32 (exact) or bf16 (fast mode: the annotator in bfloat16; labels may differ "
                  "where two classes are nearly tied)")
      ->capture_default_str();
  cmd->add_flag("--wide-crop", o.wide_crop,
                "keep the central 3/4 rows (4:3 pictures, e.g. the car generator); a phase-I run "
                "records this itself, "
                "the flag is for annotators that do not (pseudo-labelling)");
  add_on_off_option(
      *cmd, "--calibrate-priors", o.calibrate_priors,
      "add per-class logit offsets so that the labels' class frequencies match the labelled set's");
  cmd->add_option("--calibration-images", o.calibration_images,
                  "generated images the offsets are fitted on")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_synthesize(*args); });
}

}  // namespace lagm::cli

// lagm train-annotator-supervised: the DatasetGAN / RepurposeGAN annotator, fitted by cross
// entropy to generated images that were labelled (named by their seeds); --resume continues a run.
#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "commands.h"
#include "lagm/baselines/projection_set.h"
#include "lagm/baselines/supervised_annotator.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"

namespace lagm::cli {
namespace {

struct SupervisedArgs {
  CommonArgs common;
  baselines::SupervisedAnnotatorConfig config;
  std::string out, resume, noise_mode = "const", cutoff = "8", arch = "fpn";
  CLI::Option* steps_option = nullptr;
  std::vector<CLI::Option*> sampling_options;  ///< --generator, --psi, --cutoff, --noise-mode
};

// The sampling settings and generator `lagm generate --images` recorded beside the images, for
// those not given on the command line.
void take_generated_record(SupervisedArgs& args) {
  const auto path = std::filesystem::path(args.config.labels) / "generated.json";
  if (!std::filesystem::exists(path)) return;
  const auto record = nlohmann::json::parse(core::read_file(path.string()), nullptr, false);
  if (record.is_discarded() || !record.is_object())
    throw InputError(path.string() + ": not a JSON object");
  const auto recorded = models::sampling_options_from_json(record, path.string());
  auto given = [&](const char* name) {
    for (const auto* o : args.sampling_options)
      if (o->get_name() == name) return o->count() > 0;
    return false;
  };
  auto& c = args.config;
  if (!given("--generator") && record.contains("generator"))
    c.generator = record.at("generator").get<std::string>();
  if (!given("--psi")) c.sampling.truncation_psi = recorded.truncation_psi;
  if (!given("--cutoff"))
    args.cutoff = recorded.truncation_cutoff ? std::to_string(*recorded.truncation_cutoff) : "none";
  if (!given("--noise-mode")) args.noise_mode = models::to_string(recorded.noise_mode);
}

void run_supervised(SupervisedArgs args, const CLI::App& command) {
  const torch::Device device = apply_common(args.common);
  refuse_outputs_over_inputs({{"--out", args.out}}, {{"--generator", args.config.generator},
                                                     {"--labels", args.config.labels},
                                                     {"--projections", args.config.projections}});
  auto progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  std::string snapshot;
  if (!args.resume.empty()) {
    check_options_beside_resume(command, {"--steps"});
    snapshot = baselines::resume_supervised_annotator(
        args.resume, device, progress, args.steps_option->count() ? args.config.steps : 0);
  } else {
    if (args.out.empty()) throw UsageError("train-annotator-supervised needs --out RUN");
    auto& c = args.config;
    if (!c.projections.empty() && c.generator.empty())
      c.generator = baselines::projection_generator(c.projections);
    if (!c.labels.empty() && c.projections.empty()) take_generated_record(args);
    c.arch = baselines::parse_supervised_arch(args.arch);
    c.sampling.noise_mode = models::parse_noise_mode(args.noise_mode);
    c.sampling.truncation_cutoff = parse_optional_int(args.cutoff, "--cutoff");
    c.seed = args.common.seed;
    snapshot = baselines::train_supervised_annotator(c, args.out, device, progress);
  }
  std::printf("%s\n", snapshot.c_str());
}

}  // namespace

void add_train_annotator_supervised_command(CLI::App& app) {
  auto args = std::make_shared<SupervisedArgs>();
  auto& c = args->config;
  auto* cmd = app.add_subcommand(
      "train-annotator-supervised",
      "fit an annotator to labelled generated images (DatasetGAN's protocol), by cross entropy");
  args->sampling_options.push_back(cmd->add_option(
      "--generator", c.generator,
      "generator checkpoint that made the images (default: the one --labels/generated.json "
      "names)"));
  cmd->add_option("--labels", c.labels,
                  "folder data set of the labelled generated images, named by seed (seed000123)");
  cmd->add_option("--projections", c.projections,
                  "inversion: a lagm project folder of the (real) labelled images; their features "
                  "come from the projected latents instead of seeds");
  cmd->add_option("--out", args->out, "new run folder");
  cmd->add_option("--resume", args->resume, "continue the run in this folder");
  // The images' own settings come from --labels/generated.json (lagm generate --images) when it
  // is there; these options override it.
  args->sampling_options.push_back(cmd->add_option("--psi", c.sampling.truncation_psi,
                                                   "truncation the images were generated with")
                                       ->capture_default_str()
                                       ->check(finite_number()));
  args->sampling_options.push_back(
      cmd->add_option("--cutoff", args->cutoff, "truncation cutoff ('none' = every layer)")
          ->capture_default_str());
  args->sampling_options.push_back(
      cmd->add_option("--noise-mode", args->noise_mode, "const or none, as the images were made")
          ->capture_default_str());
  args->steps_option = cmd->add_option("--steps", c.steps,
                                       "optimizer steps (with --resume: "
                                       "lengthens the run)")
                           ->capture_default_str();
  cmd->add_option("--batch", c.batch, "images per step")->capture_default_str();
  cmd->add_option("--lr", c.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(finite_number());
  cmd->add_option("--arch", args->arch,
                  "fpn (the paper's annotator) or mlp_ensemble (DatasetGAN's interpreter)")
      ->capture_default_str();
  cmd->add_option("--members", c.members, "MLPs in an mlp_ensemble")->capture_default_str();
  cmd->add_option("--tmp-channels", c.tmp_channels, "annotator FPN width")->capture_default_str();
  cmd->add_option("--num-layers", c.num_layers, "annotator FPN depth")->capture_default_str();
  cmd->add_option("--snapshot-steps", c.snapshot_steps, "snapshot every N steps")
      ->capture_default_str();
  add_common_options(*cmd, args->common);
  cmd->callback([args, cmd] { run_supervised(*args, *cmd); });
}

}  // namespace lagm::cli

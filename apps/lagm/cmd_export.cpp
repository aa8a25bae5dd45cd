// lagm export: a trained segmenter as a PyTorch state dict (PyTorch's names) + model.json, which
// tools/python/lagm_export.py loads (DeepLab into torchvision's own network).
#include <torch/torch.h>

#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/models/segmenter.h"
#include "lagm/predict/export.h"

namespace lagm::cli {
namespace {

struct ExportArgs {
  CommonArgs common;
  std::string model, out, format = "pytorch";
};

void run_export(const ExportArgs& args) {
  apply_common(args.common);
  refuse_outputs_over_inputs({{"--out", args.out}}, {{"--model", args.model}});
  if (args.format != "pytorch")
    throw UsageError("export: --format '" + args.format + "' is not known (pytorch)");
  const std::string model = resolve_model_path(args.model);
  auto loaded = annotator::load_segmenter(model);
  warn_defaulted_description(loaded.description, model);
  predict::export_pytorch(loaded, model, args.out);
  std::printf("%s: %s (%lld classes) exported to %s/model.safetensors + model.json\n",
              model.c_str(), models::arch_name(loaded.segmenter->config().arch),
              static_cast<long long>(loaded.segmenter->config().num_classes), args.out.c_str());
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand("export",
                                 "write a trained segmenter for PyTorch (state dict + model.json)");
  cmd->add_option("--model", args->model,
                  "train-seg checkpoint or train-annotator snapshot (its S); a run folder = its "
                  "best validation checkpoint")
      ->required();
  cmd->add_option("--out", args->out, "output folder (model.safetensors, model.json)")->required();
  cmd->add_option("--format", args->format, "pytorch (the only format)")->capture_default_str();
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_export(*args); });
}

}  // namespace lagm::cli

// lagm predict: part masks for a user's own images (any size and format) from a trained segmenter.
#include <torch/torch.h>

#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lagm/predict/predict.h"

namespace lagm::cli {
namespace {

struct PredictArgs {
  CommonArgs common;
  std::string model;
  predict::PredictOptions options;
};

void run_predict(const PredictArgs& args) {
  const torch::Device device = apply_common(args.common);
  // Images inside --out are left out of the search (docs/predict.md), so only the model is checked.
  refuse_outputs_over_inputs({{"--out", args.options.out}}, {{"--model", args.model}});
  const std::string model = resolve_model_path(args.model);
  auto loaded = annotator::load_segmenter(model);
  warn_defaulted_description(loaded.description, model);
  if (args.options.res == 0 && loaded.description.input_height == 0)
    std::fprintf(stderr,
                 "warning: %s does not record its input size; predicting each image at its own "
                 "size (give --res N for the size it was trained at)\n",
                 model.c_str());
  const auto r = predict::predict_images(
      loaded, model, args.options, device,
      [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  std::printf("%lld images: %lld predicted, %lld already done, %lld skipped as unreadable; %s\n",
              static_cast<long long>(r.images), static_cast<long long>(r.predicted),
              static_cast<long long>(r.finished_before), static_cast<long long>(r.bad),
              r.summary_path.c_str());
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand(
      "predict", "segment your own images (any size, PNG or JPEG) with a trained segmenter");
  cmd->add_option("--model", args->model,
                  "train-seg checkpoint or train-annotator snapshot (its S); a run folder = its "
                  "best validation checkpoint")
      ->required();
  cmd->add_option("--images", o.images,
                  "image files, folders (searched recursively for .png/.jpg/.jpeg) or list files "
                  "(.txt: one path a line)")
      ->required();
  cmd->add_option("--out", o.out,
                  "output folder: masks/, overlays/, probs/ in the inputs' layout, "
                  "predictions.json, index.html")
      ->required();
  cmd->add_option("--batch", o.batch, "images per forward pass")->capture_default_str();
  cmd->add_option("--res", o.res,
                  "square size images are resized to (0 = the size the model was trained at)")
      ->capture_default_str();
  cmd->add_flag("--overlay", o.overlay, "also write overlays/NAME.png: image + mask + legend");
  cmd->add_flag("--probs", o.probs,
                "also write probs/NAME.npy: float16 class probabilities [K, h, w] at the "
                "network's resolution");
  auto* report = cmd->add_flag("--report", o.report, "also write index.html of the overlays");
  cmd->add_flag("--skip-bad", o.skip_bad,
                "skip unreadable images (counted and listed in predictions.json) instead of "
                "failing");
  add_common_options(*cmd, args->common);
  cmd->callback([args, report] {
    if (report->count() > 0) args->options.overlay = true;  // the report shows the overlays
    run_predict(*args);
  });
}

}  // namespace lagm::cli

// lagm convert: a downloaded StyleGAN pickle (stylegan2-ada-pytorch .pkl, TensorFlow StyleGAN2
// .pkl, DatasetGAN's StyleGAN1 .pt) to lagm's generator checkpoint, read natively, no Python.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/models/pickled_generator.h"

namespace lagm::cli {
namespace {

struct ConvertArgs {
  std::string source, out, network = "G_ema", cutoff = "8";
  double psi = 0.7;
};

nlohmann::json cutoff_json(const std::string& text) {
  if (text == "none") return nullptr;
  try {
    size_t used = 0;
    const auto v = std::stoll(text, &used);
    if (used == text.size() && v >= 0 && v <= 64) return v;
  } catch (const std::exception&) {
  }
  throw UsageError("--cutoff must be a layer count in [0, 64] or none, not '" + text + "'");
}

void run_convert(const ConvertArgs& args) {
  refuse_outputs_over_inputs({{"--out", args.out}}, {{"source", args.source}});
  if (!models::is_pickled_generator(args.source))
    throw UsageError("convert: " + args.source + " is not a .pkl, .pt or .pth file");
  auto ckpt = models::read_pickled_generator(args.source, args.network);
  ckpt.extra = {{"truncation_psi", args.psi}, {"truncation_cutoff", cutoff_json(args.cutoff)}};
  core::write_safetensors(args.out, ckpt.tensors,
                          models::checkpoint_metadata(ckpt.kind, ckpt.config, ckpt.extra));
  std::printf("%s: %s %s, %zu tensors -> %s\n", args.source.c_str(), ckpt.kind.c_str(),
              args.network.c_str(), ckpt.tensors.size(), args.out.c_str());
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand(
      "convert",
      "a StyleGAN pickle (.pkl of stylegan2-ada-pytorch or TensorFlow StyleGAN2, "
      "DatasetGAN's StyleGAN1 .pt) to a lagm generator checkpoint");
  cmd->add_option("source", args->source, "the pickle")->required();
  cmd->add_option("--out", args->out, "the checkpoint to write (.safetensors)")->required();
  cmd->add_option("--network", args->network,
                  "which network: G_ema (what the reference samples) or G")
      ->check(CLI::IsMember({"G_ema", "G"}))
      ->capture_default_str();
  cmd->add_option("--psi", args->psi, "default truncation psi stored with the weights")
      ->check(CLI::Range(0.0, 2.0))
      ->capture_default_str();
  cmd->add_option("--cutoff", args->cutoff, "default truncation cutoff (ws indices), or none")
      ->capture_default_str();
  cmd->callback([args] { run_convert(*args); });
}

}  // namespace lagm::cli

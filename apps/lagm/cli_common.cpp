#include "cli_common.h"

#include <torch/torch.h>

#include "lagm/core/runtime.h"

namespace lagm::cli {

void add_common_options(CLI::App& app, CommonArgs& args) {
  app.add_option("--device", args.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--threads", args.threads, "intra-op threads (0 = all cores)")->capture_default_str();
  app.add_option("--seed", args.seed, "random seed")->capture_default_str();
  app.add_flag("--verbose", args.verbose, "print backtraces with errors");
}

torch::Device apply_common(const CommonArgs& args) {
  core::configure_runtime(args.threads);
  const torch::Device device = core::parse_device(args.device);
  torch::manual_seed(args.seed);
  return device;
}

}  // namespace lagm::cli

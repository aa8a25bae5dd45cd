// Options every lagm command shares, declared once (STYLE §6).
#pragma once

#include <CLI/CLI.hpp>
#include <torch/types.h>

#include <string>

namespace lagm::cli {

/// --device, --threads, --seed, --verbose.
struct CommonArgs {
  std::string device = "cpu";
  int threads = 0;  ///< 0 = number of cores
  uint64_t seed = 0;
  bool verbose = false;
};

/// Adds the shared options to a subcommand.
void add_common_options(CLI::App& app, CommonArgs& args);

/// Sets threads, allocator and numerics, seeds LibTorch; returns the device to run on.
torch::Device apply_common(const CommonArgs& args);

}  // namespace lagm::cli

// `lagm launch --nproc N -- <command ...>`: N local processes of one command with torchrun's
// environment (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), so that
// the command runs data-parallel. When one process fails, the others are stopped (SIGTERM, then
// SIGKILL after a grace period), so that a dead rank never leaves the rest waiting.
#pragma once

#include <string>
#include <vector>

namespace lagm::train {

struct LaunchOptions {
  int nproc = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::vector<std::string> command;  ///< program and arguments (the program looked up in PATH)
  double grace_seconds = 10;         ///< between SIGTERM and SIGKILL of the survivors
};

/// Runs the processes and waits for all of them. Returns 0 when every process exits 0, else the
/// exit status of the first that failed (128 + signal for a killed one).
int launch_local(const LaunchOptions& options);

}  // namespace lagm::train

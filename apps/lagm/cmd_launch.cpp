// lagm launch --nproc N -- <command ...>: N local processes of a command with torchrun's
// environment, so that the command runs data-parallel (train/launch.h).
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/train/distributed.h"
#include "lagm/train/launch.h"

namespace lagm::cli {
namespace {

struct LaunchArgs {
  train::LaunchOptions options;
  int exit_code = 0;
};

}  // namespace

void add_launch_command(CLI::App& app) {
  auto args = std::make_shared<LaunchArgs>();
  auto* cmd = app.add_subcommand(
      "launch",
      "run a command as N data-parallel processes on this machine (torchrun's variables: RANK, "
      "WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT)");
  cmd->add_option("--nproc", args->options.nproc, "processes")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--master-addr", args->options.master_addr,
                  "address of rank 0's rendezvous store");
  cmd->add_option("--master-port", args->options.master_port, "its port")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--grace", args->options.grace_seconds,
                  "seconds between SIGTERM and SIGKILL of the others when one process fails")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("command", args->options.command,
                  "the command and its arguments, after -- (e.g. -- lagm eval ...)")
      ->required();
  cmd->callback([args] {
    if (args->options.nproc > 1 && !train::distributed_available())
      throw UsageError(
          "launch: this lagm was built without a distributed back-end (install libgloo-dev and "
          "rebuild)");
    args->exit_code = train::launch_local(args->options);
    if (args->exit_code != 0) std::exit(args->exit_code);
  });
}

}  // namespace lagm::cli

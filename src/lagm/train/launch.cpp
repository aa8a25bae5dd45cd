#include "lagm/train/launch.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "lagm/core/error.h"

namespace lagm::train {
namespace {

// A signal the launcher itself received (Ctrl-C, a job scheduler's SIGTERM): passed on to the
// ranks.
volatile sig_atomic_t g_received_signal = 0;
void remember_signal(int signal) { g_received_signal = signal; }

int exit_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

pid_t start_rank(const LaunchOptions& o, int rank) {
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("launch: fork failed: ") + std::strerror(errno));
  if (pid > 0) {
    setpgid(pid, pid);  // also here: the parent may signal the group before the child sets it
    return pid;
  }
  // The child: a process group of its own, so that stopping a rank stops what it started too;
  // then its rank's environment and the command.
  setpgid(0, 0);
  const auto set = [](const char* name, const std::string& value) {
    setenv(name, value.c_str(), 1);
  };
  set("RANK", std::to_string(rank));
  set("LOCAL_RANK", std::to_string(rank));
  set("WORLD_SIZE", std::to_string(o.nproc));
  set("LOCAL_WORLD_SIZE", std::to_string(o.nproc));
  set("MASTER_ADDR", o.master_addr);
  set("MASTER_PORT", std::to_string(o.master_port));
  std::vector<char*> argv;
  for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::fprintf(stderr, "lagm: error: launch: cannot run %s: %s\n", argv[0], std::strerror(errno));
  _exit(127);
}

}  // namespace

int launch_local(const LaunchOptions& o) {
  if (o.nproc < 1) throw SettingError("nproc", std::to_string(o.nproc) + ": expected >= 1");
  if (o.command.empty()) throw UsageError("launch: no command given after --");
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::vector<pid_t> running;
  running.reserve(static_cast<size_t>(o.nproc));
  for (int rank = 0; rank < o.nproc; ++rank) running.push_back(start_rank(o, rank));
  // Each rank leads its process group: signal the group (-pid).
  const auto signal_all = [&](int signal) {
    for (pid_t p : running) kill(-p, signal);
  };
  int result = 0;
  using Clock = std::chrono::steady_clock;
  Clock::time_point kill_at{};
  bool stopping = false;
  // Asks the survivors to stop; those still running after the grace period are killed.
  const auto stop_others = [&](int signal) {
    signal_all(signal);
    stopping = true;
    kill_at =
        Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.grace_seconds * 1000));
  };
  while (!running.empty()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      running.erase(std::remove(running.begin(), running.end(), pid), running.end());
      const int code = exit_status(status);
      if (code != 0 && result == 0) {
        result = code;
        if (!running.empty())
          std::fprintf(stderr,
                       "lagm: launch: a process exited with status %d; stopping the %zu "
                       "others\n",
                       code, running.size());
        stop_others(SIGTERM);
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    if (g_received_signal != 0 && !stopping) {
      if (result == 0) result = 128 + g_received_signal;
      stop_others(g_received_signal);
    }
    if (stopping && Clock::now() >= kill_at) {
      signal_all(SIGKILL);
      stopping = false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return result;
}

}  // namespace lagm::train

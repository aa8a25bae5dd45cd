// Data parallelism over LibTorch's own distributed engine (c10d): the launch environment torchrun
// uses (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) and a process
// group over Gloo. Rank 0 hosts the rendezvous store; a peer that does not join, or dies, makes the
// others fail with an Error within the timeout instead of waiting for ever.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lagm/nn/sync_batch_norm.h"

namespace lagm::train {

struct DistributedEnv {
  int rank = 0, world_size = 1;
  int local_rank = 0, local_world_size = 1;  ///< this machine's processes
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  /// How long a collective (or the rendezvous) waits for a peer: LAGM_DISTRIBUTED_TIMEOUT seconds.
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  bool active() const { return world_size > 1; }
};

/// The launch variables of this process; without WORLD_SIZE (or with 1) a single process. A
/// variable that is malformed or out of range is a UsageError naming it.
DistributedEnv distributed_env_from_environment();

/// Whether this build has a distributed back-end (Gloo headers found at build time).
bool distributed_available();

class ProcessGroup {
 public:
  /// Joins the group `env` describes (UsageError when this build has no back-end; Error naming
  /// the address when the rendezvous fails or times out).
  explicit ProcessGroup(const DistributedEnv& env);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }

  /// Sums every tensor over the ranks, in place. Gloo reduces host memory: device tensors go
  /// through a host copy.
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  /// Returns when every rank has called it.
  void barrier();

 private:
  struct Impl;
  DistributedEnv env_;
  std::unique_ptr<Impl> impl_;
};

/// Rows [begin, end) of `n` that process `rank` of `world_size` takes: contiguous shares whose
/// sizes differ by at most one.
std::pair<int64_t, int64_t> rank_rows(int64_t n, int rank, int world_size);

/// The sums over the group of `tensors` (one all-reduce of one flat buffer; the inputs are left as
/// they are, every one on the same device and of the same dtype).
std::vector<torch::Tensor> all_reduced_sum(ProcessGroup& group,
                                           const std::vector<torch::Tensor>& tensors);
/// The sum over the group of a number.
double all_reduced_sum(ProcessGroup& group, double value);

/// Sums the gradients of `module`'s parameters over the group, in place (one all-reduce of one
/// flat buffer; a parameter without a gradient counts as zeros).
void all_reduce_gradients(ProcessGroup& group, torch::nn::Module& module);

/// The group's all-reduce as synchronized batch normalisation needs it.
class GroupSum : public nn::CrossProcessSum {
 public:
  explicit GroupSum(ProcessGroup& group) : group_(group) {}
  torch::Tensor sum(const torch::Tensor& local) override;

 private:
  ProcessGroup& group_;
};

}  // namespace lagm::train

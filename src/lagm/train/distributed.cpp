#include "lagm/train/distributed.h"

#include <torch/torch.h>

#include <cstdlib>

#include "lagm/core/error.h"
#include "lagm/core/parse_int.h"

#ifdef LAGM_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace lagm::train {
namespace {

// An integer launch variable in [low, high], or `fallback` when it is not set.
int env_int(const char* name, int fallback, int low, int high) {
  const char* text = std::getenv(name);
  if (!text) return fallback;
  const auto value = core::parse_int64(text);
  if (!value || *value < low || *value > high)
    throw UsageError(std::string(name) + "='" + text + "': expected an integer in [" +
                     std::to_string(low) + ", " + std::to_string(high) + "]");
  return static_cast<int>(*value);
}

}  // namespace

DistributedEnv distributed_env_from_environment() {
  DistributedEnv env;
  env.world_size = env_int("WORLD_SIZE", 1, 1, 1 << 16);
  if (!env.active()) return env;
  env.rank = env_int("RANK", -1, 0, env.world_size - 1);
  if (env.rank < 0) throw UsageError("WORLD_SIZE is set but RANK is not");
  env.local_world_size = env_int("LOCAL_WORLD_SIZE", env.world_size, 1, env.world_size);
  env.local_rank = env_int("LOCAL_RANK", env.rank, 0, env.local_world_size - 1);
  if (const char* addr = std::getenv("MASTER_ADDR")) env.master_addr = addr;
  env.master_port = env_int("MASTER_PORT", env.master_port, 1, 65535);
  env.timeout = std::chrono::seconds(env_int("LAGM_DISTRIBUTED_TIMEOUT", 300, 1, 1 << 20));
  return env;
}

#ifdef LAGM_HAVE_GLOO

bool distributed_available() { return true; }

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

ProcessGroup::ProcessGroup(const DistributedEnv& env) : env_(env), impl_(std::make_unique<Impl>()) {
  const std::string where = "rank " + std::to_string(env.rank) + " of " +
                            std::to_string(env.world_size) + " at " + env.master_addr + ":" +
                            std::to_string(env.master_port);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(env.master_port);
    store_options.isServer = env.rank == 0;
    store_options.numWorkers = env.world_size;
    store_options.waitWorkers = true;
    store_options.timeout = env.timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    auto options = c10d::ProcessGroupGloo::Options::create(env.timeout);
    // The interface that reaches the master's address (loopback for one machine).
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(env.master_addr));
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank,
                                                               env.world_size, options);
  } catch (const std::exception& e) {
    throw Error(where + ": could not join the process group (" + e.what() + ")");
  }
}

void ProcessGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  std::vector<at::Tensor> host;
  host.reserve(tensors.size());
  for (const auto& t : tensors) host.push_back(t.device().is_cpu() ? t.contiguous() : t.cpu());
  try {
    impl_->group->allreduce(host)->wait(env_.timeout);
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(env_.rank) + ": all-reduce failed (a peer died or " +
                "timed out): " + e.what());
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!host[i].is_same(tensors[i])) tensors[i].copy_(host[i]);
}

void ProcessGroup::barrier() {
  try {
    impl_->group->barrier()->wait(env_.timeout);
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(env_.rank) + ": barrier failed (a peer died or " +
                "timed out): " + e.what());
  }
}

#else

bool distributed_available() { return false; }

struct ProcessGroup::Impl {};

ProcessGroup::ProcessGroup(const DistributedEnv& env) : env_(env) {
  throw UsageError("WORLD_SIZE=" + std::to_string(env.world_size) +
                   ": this lagm was built without a distributed back-end (Gloo's headers, Debian's "
                   "libgloo-dev, were not found at build time)");
}

void ProcessGroup::all_reduce_sum(std::vector<torch::Tensor>&) {}
void ProcessGroup::barrier() {}

#endif

ProcessGroup::~ProcessGroup() = default;

std::pair<int64_t, int64_t> rank_rows(int64_t n, int rank, int world_size) {
  return {n * rank / world_size, n * (rank + 1) / world_size};
}

std::vector<torch::Tensor> all_reduced_sum(ProcessGroup& group,
                                           const std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return {};
  std::vector<torch::Tensor> flat_parts;
  flat_parts.reserve(tensors.size());
  for (const auto& t : tensors) flat_parts.push_back(t.detach().reshape(-1));
  std::vector<torch::Tensor> flat{torch::cat(flat_parts)};
  group.all_reduce_sum(flat);
  std::vector<torch::Tensor> sums;
  sums.reserve(tensors.size());
  int64_t offset = 0;
  for (const auto& t : tensors) {
    sums.push_back(flat[0].narrow(0, offset, t.numel()).view_as(t));
    offset += t.numel();
  }
  return sums;
}

double all_reduced_sum(ProcessGroup& group, double value) {
  std::vector<torch::Tensor> t{torch::full({1}, value, torch::kFloat64)};
  group.all_reduce_sum(t);
  return t[0].item<double>();
}

void all_reduce_gradients(ProcessGroup& group, torch::nn::Module& module) {
  const auto params = module.parameters();
  std::vector<torch::Tensor> grads;
  grads.reserve(params.size());
  for (const auto& p : params)
    grads.push_back(p.grad().defined() ? p.grad() : torch::zeros_like(p));
  const auto sums = all_reduced_sum(group, grads);
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    if (p.grad().defined())
      p.mutable_grad().copy_(sums[i]);
    else
      p.mutable_grad() = sums[i].clone();
  }
}

torch::Tensor GroupSum::sum(const torch::Tensor& local) {
  std::vector<torch::Tensor> t{local.contiguous()};
  group_.all_reduce_sum(t);
  return t[0];
}

}  // namespace lagm::train

// Phase II, part 1 (`lagm synthesize`): a labelled data set from the frozen generator and a
// trained annotator (eval mode): images and argmax masks in the folder layout, deterministic per
// seed (image i uses seed base + i, whatever the batch, shard or restart), resumable (finished
// files are kept; every file is written atomically) and shardable (--shard k/n writes a disjoint
// share; the shares merge into the same files as one run).
#pragma once

#include <torch/types.h>

#include <functional>
#include <string>

namespace lagm::synth {

/// Options of `synthesize`.
struct SynthesizeOptions {
  std::string run_dir;                ///< a train-annotator run
  std::string snapshot = "best";      ///< "best", "latest" or an iteration number
  std::string generator;              ///< override of the run's generator checkpoint (empty = the run's)
  int64_t num = 10000;
  std::string out;
  uint64_t seed_base = 0;
  int64_t shard_index = 0, shard_count = 1;
  double confidence_threshold = 0.9;  ///< pixels below this max-softmax count as uncertain
  double keep_top = 1.0;              ///< keep this fraction of the most confident images in dataset.json
  double min_confidence = 0.0;        ///< and only those with mean max-softmax >= this
  bool wide_crop = false;             ///< keep the central 3/4 rows (4:3 pictures in square G, e.g. cars)
  torch::Device device = torch::kCPU;
};

/// Counts of one invocation.
struct SynthesizeResult {
  int64_t written = 0, already_present = 0;
  bool complete = false;  ///< all `num` images exist and dataset.json was written
  std::string snapshot;
};

using ProgressFn = std::function<void(const std::string&)>;

SynthesizeResult synthesize(const SynthesizeOptions& options, const ProgressFn& progress = {});

/// The reference's quantisation of generated images: clamp(x * 127.5 + 128, 0, 255) truncated to
/// uint8 ([N, 3, H, W] -> [N, H, W, 3]).
torch::Tensor quantize_generated(const torch::Tensor& images);

}  // namespace lagm::synth

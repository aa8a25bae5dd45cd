// The interface the method needs from a frozen generator, whatever its family (StyleGAN2 or
// StyleGAN1): latents in, image and the list of block feature maps out.
#pragma once

#include <torch/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lagm/models/noise_mode.h"

namespace lagm::models {

/// Image and features of one generator call.
struct GeneratedBatch {
  torch::Tensor img;                    ///< [N, 3, R, R] float32, not clamped (nominally [-1, 1])
  std::vector<torch::Tensor> features;  ///< what the annotator reads, coarse to fine, float32
};

/// Sampling settings applied on every call.
struct SamplingOptions {
  double truncation_psi = 0.7;
  c10::optional<int64_t> truncation_cutoff = 8;
  NoiseMode noise_mode = NoiseMode::kRandom;
};

/// The keys "truncation_psi", "truncation_cutoff" (null = every layer) and "noise_mode" of `j`, an
/// object that may hold other keys too (a run config, a snapshot's run); absent keys keep the
/// defaults above. Wrong types and values throw InputError naming `where` and the key.
SamplingOptions sampling_options_from_json(const nlohmann::json& j, const std::string& where);
/// The same three keys, every one written.
nlohmann::json to_json(const SamplingOptions& s);

/// A frozen generator (eval mode, no parameter requires grad).
class FeatureGenerator {
 public:
  virtual ~FeatureGenerator() = default;
  /// z [N, z_dim] on the generator's device. Runs without autograd.
  virtual GeneratedBatch generate(const torch::Tensor& z) = 0;
  /// generate() for a consumer under bfloat16 autocast (fast mode's annotator): in fast mode the
  /// features may stay bfloat16, as the generator computed them, instead of a cast to float32
  /// that autocast would undo. The image is float32 either way. The default is generate().
  virtual GeneratedBatch generate_for_autocast(const torch::Tensor& z) { return generate(z); }
  virtual int64_t z_dim() const = 0;
  virtual int64_t img_resolution() const = 0;
  /// [C, H, W] of each feature map, in order.
  virtual std::vector<std::vector<int64_t>> feature_shapes() const = 0;
  virtual void to(torch::Device device) = 0;
  virtual torch::Device device() const = 0;
  virtual SamplingOptions& sampling() = 0;
  /// "stylegan2" / "stylegan1" and the constructor configuration.
  virtual std::string kind() const = 0;
  virtual nlohmann::json config() const = 0;

  // Inversion (`lagm project`), StyleGAN2 only: the others throw InputError saying so.
  /// ws [N, num_ws, w_dim] of z, without truncation; no autograd.
  virtual torch::Tensor map_to_w(const torch::Tensor& z);
  /// Image and features of ws with the constant noise maps (noise_buffers()), differentiable in
  /// ws and in those maps when they require grad.
  virtual GeneratedBatch synthesize(const torch::Tensor& ws);
  /// The constant noise map of every noise layer ([R, R] each, in layer order): the tensors the
  /// generator reads, so that writing into them changes its noise.
  virtual std::vector<torch::Tensor> noise_buffers();
  /// Fast mode on or off: generate() computes in bfloat16 where the generator supports it
  /// (StyleGAN2's synthesis blocks) and returns float32 images and features. Off by default
  /// (the reference's arithmetic); the default does nothing.
  virtual void set_bfloat16(bool on) { (void)on; }
};

/// InputError (core::require_memory) when `batch` generated images with their block features
/// need more memory than is available; `what` names the setting ("--batch 64").
void require_generation_memory(const FeatureGenerator& g, int64_t batch, const std::string& what);

/// Loads any generator checkpoint (kind in its metadata), frozen, on `device`.
std::unique_ptr<FeatureGenerator> load_feature_generator(const std::string& path,
                                                         torch::Device device);

}  // namespace lagm::models

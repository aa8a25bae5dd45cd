// `lagm project`: every image of a folder data set inverted into the generator (projector.h), as a
// folder the supervised trainer reads in place of seeds:
//   latents/<id>.safetensors  "ws" [1, num_ws, w_dim] and "noise.<i>" per noise layer; metadata:
//                             psnr, distance
//   img/<id>.png              the reconstruction
//   projection.json           generator, settings, "distance": "mse", per-image and mean PSNR
// Resumable: an image whose latents file exists (written last, atomically) is not projected again.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "lagm/baselines/projector.h"
#include "lagm/core/progress.h"

namespace lagm::baselines {

struct ProjectImagesOptions {
  std::string generator;  ///< a StyleGAN2 checkpoint
  std::string images;     ///< folder data set (img/, dataset.json); labels are not read
  std::string out;
  ProjectorOptions projector;
  torch::Device device = torch::kCPU;
};

/// Projects every image; returns the mean PSNR (dB) over all of them.
double project_images(const ProjectImagesOptions& options, const ProgressFn& progress = {});

/// One image's projection read back.
struct ProjectedLatent {
  torch::Tensor ws;
  std::vector<torch::Tensor> noise;
  double psnr = 0;
};
/// InputError naming the folder and `id` when it has no projection of that image.
ProjectedLatent read_projected_latent(const std::string& dir, const std::string& id);
/// The generator a projection folder was made with (its projection.json).
std::string projection_generator(const std::string& dir);

}  // namespace lagm::baselines

#include "lagm/demo/comparison_arms.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "lagm/baselines/projection_set.h"
#include "lagm/baselines/supervised_annotator.h"
#include "lagm/core/numpy_random.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/image.h"
#include "lagm/models/feature_generator.h"

namespace lagm::demo {
namespace fs = std::filesystem;

namespace {

constexpr uint32_t kLabelledGeneratedSeeds = 10000000;

models::SamplingOptions generate_sampling() {
  models::SamplingOptions s;  // psi 0.7, cutoff 8
  s.noise_mode = models::NoiseMode::kConst;
  return s;
}

}  // namespace

void write_labelled_generated_images(const ArmContext& ctx, models::Segmenter& labeller,
                                     const std::vector<std::string>& class_names,
                                     const std::string& dir) {
  auto g = models::load_feature_generator(ctx.generator, ctx.device);
  g->sampling() = generate_sampling();
  labeller.module().to(ctx.device);
  labeller.module().eval();
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < ctx.labels; ++i) {
    const auto seed = kLabelledGeneratedSeeds + static_cast<uint32_t>(1000 * ctx.seed + i);
    const auto z = core::NumpyRandomState(seed).randn({1, g->z_dim()}).to(torch::kFloat32);
    const auto img = g->generate(z.to(ctx.device)).img;
    // The person labels the image as it is written (8-bit), as synthesis's readers see it.
    const auto label = labeller.forward(io::as_synthesized(img)).argmax(1)[0].cpu();
    char name[32];
    std::snprintf(name, sizeof name, "seed%06u", seed);
    data::write_folder_sample(dir, name, io::quantize_generated(img.cpu())[0],
                              label.to(torch::kUInt8));
  }
  data::write_dataset_json(dir, {{"classes", class_names}});
}

namespace {

// The supervised trainer with the arm's budget, into <arm>/annotator (an unfinished fit starts
// over: its stage marker was not written).
std::string fit(const ArmContext& ctx, baselines::SupervisedAnnotatorConfig c) {
  c.generator = ctx.generator;
  c.tmp_channels = ctx.annotator_channels;
  c.members = ctx.members;
  c.steps = ctx.steps;
  c.snapshot_steps = ctx.steps;
  c.seed = ctx.seed;
  std::string run = (fs::path(ctx.out) / "annotator").string();
  fs::remove_all(run);
  baselines::train_supervised_annotator(c, run, ctx.device, ctx.progress);
  return run;
}

}  // namespace

std::string fit_supervised_arm(const ArmContext& ctx, const std::string& labelled_dir,
                               baselines::SupervisedArch arch) {
  baselines::SupervisedAnnotatorConfig c;
  c.sampling = generate_sampling();
  c.labels = labelled_dir;
  c.arch = arch;
  return fit(ctx, c);
}

std::string fit_inversion_arm(const ArmContext& ctx, const std::string& labelled_photos,
                              int64_t projector_steps) {
  baselines::ProjectImagesOptions p;
  p.generator = ctx.generator;
  p.images = labelled_photos;
  p.out = (fs::path(ctx.out) / "projections").string();  // resumes per image
  p.projector.steps = projector_steps;
  p.projector.seed = ctx.seed;
  p.device = ctx.device;
  baselines::project_images(p, ctx.progress);
  baselines::SupervisedAnnotatorConfig c;
  c.labels = labelled_photos;
  c.projections = p.out;
  return fit(ctx, c);
}

}  // namespace lagm::demo

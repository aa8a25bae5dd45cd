#include "fixtures.h"

#include <torch/torch.h>

#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/safetensors.h"
#include "lagm/core/state_dict.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/downstream/segmenter_trainer.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/stylegan2/generator.h"

namespace lagm::test {

std::string write_small_generator(const std::string& dir) {
  namespace sg2 = models::stylegan2;
  const std::string golden = std::string(LAGM_GOLDEN_DIR) + "/sg2_skip_r32";
  const auto config = nlohmann::json::parse(core::read_file(golden + "/case.json"));
  const auto options = sg2::generator_options_from_json(config["generator"], "sg2_skip_r32");
  sg2::Generator g(options);
  core::load_state_dict(
      *g,
      core::read_safetensors(golden + "/weights.safetensors").tensors.with_prefix_stripped("G."));
  std::filesystem::create_directories(dir);
  std::string path = dir + "/G.safetensors";
  models::write_model_checkpoint(path, "stylegan2", sg2::to_json(options), *g,
                                 {{"truncation_psi", 0.7}, {"truncation_cutoff", nullptr}});
  return path;
}

void write_random_folder_dataset(const std::string& dir, int count, int num_classes, int size,
                                 int seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  std::vector<std::string> classes;
  classes.reserve(num_classes);
  for (int c = 0; c < num_classes; ++c) classes.push_back("class" + std::to_string(c));
  data::write_dataset_json(dir, {{"classes", classes}});
  for (int i = 0; i < count; ++i) {
    auto image = torch::randint(0, 256, {size, size, 3}, gen, torch::kInt64).to(torch::kUInt8);
    auto mask = torch::zeros({size, size}, torch::kUInt8);
    for (int c = 1; c < num_classes; ++c) {
      const int64_t y = torch::randint(0, size / 2, {1}, gen).item<int64_t>();
      const int64_t x = torch::randint(0, size / 2, {1}, gen).item<int64_t>();
      mask.narrow(0, y, size / 3).narrow(1, x, size / 3).fill_(c);
    }
    char name[32];
    std::snprintf(name, sizeof name, "%06d", i);
    data::write_folder_sample(dir, name, image, mask);
  }
}

nlohmann::json small_annotator_run_json(const std::string& dir, const nlohmann::json& extra) {
  nlohmann::json j = {{"generator", dir + "/G.safetensors"},
                      {"segmenter", {{"arch", "unet"}, {"base_channels", 4}}},
                      {"annotator", {{"tmp_channels", 8}}},
                      {"total_iters", 4},
                      {"niter_per_tick", 2},
                      {"snapshot_ticks", 1},
                      {"grid_size", 2},
                      {"training_set", dir + "/labelled"},
                      {"run_name", "r"}};
  j.update(extra);
  return j;
}

std::string write_small_segmenter(const std::string& dir, int count) {
  write_random_folder_dataset(dir + "/data", count, 3);
  downstream::SegmenterTrainConfig c;
  c.data.path = dir + "/data";
  c.segmenter.base_channels = 4;
  c.epochs = 1;
  c.batch = count;
  downstream::train_segmenter(c, dir + "/seg", torch::kCPU);
  return dir + "/seg/segmenter-000.safetensors";
}

std::unique_ptr<models::FeatureGenerator> small_feature_generator(const std::string& dir) {
  return models::load_feature_generator(write_small_generator(dir), torch::kCPU);
}

models::AnnotatorFPN small_annotator(const models::FeatureGenerator& g, int64_t classes) {
  return models::AnnotatorFPN(
      models::AnnotatorFPNOptions(g.feature_shapes(), classes).tmp_channels(8));
}

models::Segmenter small_unet(int64_t classes) {
  return models::Segmenter(models::segmenter_config_from_json(
      {{"arch", "unet"}, {"base_channels", 4}, {"num_classes", classes}}, "test"));
}

models::Segmenter unit_scale_labeller(int64_t classes) {
  auto labeller = small_unet(classes);
  torch::NoGradGuard no_grad;
  for (auto& p : labeller.module().parameters()) p.normal_();
  labeller.module().eval();
  return labeller;
}

}  // namespace lagm::test

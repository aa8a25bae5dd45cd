#include "lagm/baselines/projection_set.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/folder_lock.h"
#include "lagm/io/image.h"
#include "lagm/io/run_directory.h"
#include "lagm/models/feature_generator.h"

namespace lagm::baselines {
namespace fs = std::filesystem;

namespace {

std::string latent_path(const std::string& dir, const std::string& id) {
  return (fs::path(dir) / "latents" / (id + ".safetensors")).string();
}

}  // namespace

double project_images(const ProjectImagesOptions& o, const ProgressFn& progress) {
  if (o.generator.empty()) throw SettingError("generator", "is required");
  if (o.images.empty()) throw SettingError("images", "is required");
  if (o.out.empty()) throw SettingError("out", "is required");
  if (o.projector.steps < 1) throw SettingError("steps", "must be >= 1");
  if (o.projector.w_avg_samples < 1) throw SettingError("w_avg_samples", "must be >= 1");
  const data::FolderDataset images(o.images);
  if (images.size() == 0) throw InputError(o.images + ": no images");
  auto g = models::load_feature_generator(o.generator, o.device);
  if (g->kind() != "stylegan2")
    throw InputError(o.generator + ": a " + g->kind() +
                     " generator cannot be projected; inversion takes a StyleGAN2");
  core::create_folder_inside(o.out, "latents");
  core::create_folder_inside(o.out, "img");
  const io::FolderLock lock(o.out, ".lock");
  const auto stats = w_statistics(*g, o.projector.w_avg_samples);

  nlohmann::json per_image = nlohmann::json::array();
  double psnr_sum = 0;
  const auto start = std::chrono::steady_clock::now();
  int64_t projected = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string& id = images.ids()[i];
    const std::string path = latent_path(o.out, id);
    double psnr = 0;
    if (fs::exists(path)) {
      psnr = read_projected_latent(o.out, id).psnr;
    } else {
      const auto target = images.get(i).image.unsqueeze(0);
      auto options = o.projector;
      options.seed = o.projector.seed + i;  // each image its own draws, whatever was resumed
      const auto p = project(*g, target, stats, options);
      psnr = psnr_8bit(p.image, target);
      io::write_png((fs::path(o.out) / "img" / (id + ".png")).string(),
                    io::quantize_generated(p.image)[0]);
      core::TensorDict t;
      t.set("ws", p.ws);
      for (size_t k = 0; k < p.noise.size(); ++k) t.set("noise." + std::to_string(k), p.noise[k]);
      core::write_safetensors(
          path, t,
          {{"psnr", core::metadata_number(psnr)}, {"distance", core::metadata_number(p.distance)}});
      ++projected;
      if (progress) {
        const double sec =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double rate = static_cast<double>(projected) / std::max(sec, 1e-9);
        char line[240];
        std::snprintf(
            line, sizeof line, "projected %zu/%zu  %s  PSNR %.2f dB  %.1f s/image  ETA %s", i + 1,
            images.size(), id.c_str(), psnr, 1.0 / rate,
            io::format_duration(static_cast<double>(images.size() - i - 1) / rate).c_str());
        progress(line);
      }
    }
    per_image.push_back({{"id", id}, {"psnr", psnr}});
    psnr_sum += psnr;
  }
  const double mean = psnr_sum / static_cast<double>(images.size());
  const auto& p = o.projector;
  core::write_file_atomic((fs::path(o.out) / "projection.json").string(),
                          nlohmann::json({{"generator", o.generator},
                                          {"images", o.images},
                                          {"distance", "mse"},
                                          {"w_plus", p.w_plus},
                                          {"steps", p.steps},
                                          {"w_avg_samples", p.w_avg_samples},
                                          {"initial_learning_rate", p.initial_learning_rate},
                                          {"regularize_noise_weight", p.regularize_noise_weight},
                                          {"seed", p.seed},
                                          {"mean_psnr", mean},
                                          {"per_image", per_image}})
                                  .dump(1) +
                              "\n");
  return mean;
}

ProjectedLatent read_projected_latent(const std::string& dir, const std::string& id) {
  const std::string path = latent_path(dir, id);
  if (!fs::exists(path))
    throw InputError(dir + ": no projection of image " + id + " (run lagm project on its images)");
  const auto file = core::read_safetensors(path);
  ProjectedLatent p;
  p.ws = file.tensors.at("ws");
  for (size_t k = 0; file.tensors.contains("noise." + std::to_string(k)); ++k)
    p.noise.push_back(file.tensors.at("noise." + std::to_string(k)));
  file.tensors.require_finite();
  const auto psnr = file.metadata.find("psnr");
  if (psnr != file.metadata.end()) p.psnr = std::stod(psnr->second);
  return p;
}

std::string projection_generator(const std::string& dir) {
  const auto path = (fs::path(dir) / "projection.json").string();
  if (!fs::exists(path)) throw InputError(dir + ": not a lagm project folder (no projection.json)");
  const auto j = nlohmann::json::parse(core::read_file(path), nullptr, false);
  if (j.is_discarded() || !j.contains("generator") || !j["generator"].is_string())
    throw InputError(path + ": malformed (no generator)");
  return j["generator"].get<std::string>();
}

}  // namespace lagm::baselines

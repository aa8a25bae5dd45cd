// lagm render: a labelled data set from a procedural domain, in the project's folder layout.
// Image i is rendered from seed S + i, so any sub-range can be re-rendered (or resumed) exactly.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/folder_lock.h"
#include "lagm/io/folder_settings.h"
#include "lagm/io/grid.h"
#include "lagm/io/image.h"
#include "lagm/toy/render_batch.h"

namespace lagm::cli {
namespace {

struct RenderArgs {
  CommonArgs common;
  std::string domain = "faces", style = "photo", out;
  int64_t res = 64, num = 100, chunk = 64;
};

std::string sample_name(uint64_t seed) {
  char name[32];
  std::snprintf(name, sizeof name, "seed%08llu", static_cast<unsigned long long>(seed));
  return name;
}

void run_render(const RenderArgs& args) {
  apply_common(args.common);
  const auto& domain = toy::find_domain(args.domain);
  const auto style = toy::parse_style(args.style);
  namespace fs = std::filesystem;
  // One writer; and a rerun completes the folder only with the settings that made it.
  const io::FolderLock lock(args.out);
  io::claim_folder_settings(args.out, "render.json",
                            {{"domain", domain.name},
                             {"style", toy::to_string(style)},
                             {"resolution", args.res},
                             {"first_seed", args.common.seed}});
  // A rerun asking for fewer images leaves the others in place: the description counts them all.
  int64_t count = args.num;
  if (fs::exists(fs::path(args.out) / "dataset.json")) {
    const auto before = nlohmann::json::parse(
        core::read_file((fs::path(args.out) / "dataset.json").string()), nullptr, false);
    if (before.is_object())
      count =
          std::max(count, before.value("source", nlohmann::json::object()).value("count", count));
  }

  const auto start = std::chrono::steady_clock::now();
  int64_t rendered = 0, skipped = 0;
  for (int64_t begin = 0; begin < args.num; begin += args.chunk) {
    std::vector<uint64_t> seeds;
    for (int64_t i = begin; i < std::min(args.num, begin + args.chunk); ++i) {
      const uint64_t seed = args.common.seed + static_cast<uint64_t>(i);
      // Resume: a sample whose label file exists was finished (the label is written last).
      if (fs::exists(fs::path(args.out) / "seg" / (sample_name(seed) + ".png"))) {
        ++skipped;
        continue;
      }
      seeds.push_back(seed);
    }
    if (seeds.empty()) continue;
    const auto batch = toy::render_batch(domain, style, args.res, seeds);
    std::vector<std::string> names;
    names.reserve(seeds.size());
    for (uint64_t seed : seeds) names.push_back(sample_name(seed));
    data::write_folder_samples(args.out, names, batch.images_u8, batch.labels);
    rendered += static_cast<int64_t>(seeds.size());
    const double sec =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int64_t done = rendered + skipped;
    std::fprintf(stderr, "\rrendered %lld/%lld  %.0f img/s", static_cast<long long>(done),
                 static_cast<long long>(args.num), static_cast<double>(rendered) / sec);
  }
  const double sec =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "\n");

  nlohmann::json info = {{"classes", domain.class_names},
                         {"source",
                          {{"domain", domain.name},
                           {"style", toy::to_string(style)},
                           {"resolution", args.res},
                           {"first_seed", args.common.seed},
                           {"count", count}}}};
  data::write_dataset_json(args.out, info);
  {
    // The first 16 images over their colour-coded masks, 8 per row.
    std::vector<uint64_t> seeds;
    for (int64_t i = 0; i < std::min<int64_t>(16, args.num); ++i)
      seeds.push_back(args.common.seed + static_cast<uint64_t>(i));
    const auto preview = toy::render_batch(domain, style, args.res, seeds);
    const auto& preview_images = preview.images_u8;
    const auto& preview_labels = preview.labels;
    const auto tiles = torch::cat({io::tile_images(preview_images, 8),
                                   io::tile_images(io::colorize_labels(preview_labels), 8)},
                                  0);
    io::write_png((fs::path(args.out) / "preview.png").string(), tiles);
  }
  std::printf("%s: %lld images (%lld already there), %.1f img/s at %lldx%lld\n", args.out.c_str(),
              static_cast<long long>(args.num), static_cast<long long>(skipped),
              rendered > 0 ? static_cast<double>(rendered) / sec : 0.0,
              static_cast<long long>(args.res), static_cast<long long>(args.res));
}

}  // namespace

void add_render_command(CLI::App& app) {
  auto args = std::make_shared<RenderArgs>();
  auto* cmd = app.add_subcommand("render", "render a labelled data set from a procedural domain");
  cmd->add_option("--domain", args->domain, "procedural domain")->capture_default_str();
  cmd->add_option("--style", args->style, "photo (the 'real' images) or flat (cartoon renders)")
      ->capture_default_str();
  cmd->add_option("--res", args->res, "resolution (square)")->capture_default_str();
  cmd->add_option("--num", args->num, "number of images; image i uses seed --seed + i")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", args->out, "output folder (img/, seg/, dataset.json, preview.png)")
      ->required();
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_render(*args); });
}

}  // namespace lagm::cli

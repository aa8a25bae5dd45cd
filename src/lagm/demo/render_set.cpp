#include "lagm/demo/render_set.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "lagm/data/folder_dataset.h"
#include "lagm/toy/domain.h"
#include "lagm/toy/render_batch.h"

namespace lagm::demo {

void render_set(const std::string& dir, toy::Style style, uint64_t first_seed, int64_t count,
                int64_t resolution, const ProgressFn& progress) {
  const auto& domain = toy::find_domain("faces");
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t begin = 0; begin < count; begin += 256) {
    std::vector<uint64_t> seeds;
    for (int64_t i = begin; i < std::min(count, begin + 256); ++i)
      seeds.push_back(first_seed + static_cast<uint64_t>(i));
    const auto batch = toy::render_batch(domain, style, resolution, seeds);
    std::vector<std::string> names;
    names.reserve(seeds.size());
    for (uint64_t seed : seeds) {
      char name[32];
      std::snprintf(name, sizeof name, "seed%08llu", static_cast<unsigned long long>(seed));
      names.emplace_back(name);
    }
    data::write_folder_samples(dir, names, batch.images_u8, batch.labels);
  }
  data::write_dataset_json(dir, {{"classes", domain.class_names},
                                 {"source",
                                  {{"domain", "faces"},
                                   {"style", toy::to_string(style)},
                                   {"resolution", resolution},
                                   {"first_seed", first_seed},
                                   {"count", count}}}});
  char line[200];
  std::snprintf(line, sizeof line, "rendered %s: %lld images (%s) in %.1f s", dir.c_str(),
                static_cast<long long>(count), toy::to_string(style).c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (progress) progress(line);
}

}  // namespace lagm::demo

// lagm info FILE: metadata and a table of the tensors of a safetensors checkpoint (header only),
// or the networks a StyleGAN pickle holds.
#include <cstdio>

#include "commands.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/error.h"
#include "lagm/core/safetensors.h"
#include "lagm/models/pickled_generator.h"

namespace lagm::cli {
namespace {

struct InfoArgs {
  std::string file;
};

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 3) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

void run_info(const InfoArgs& args) {
  if (models::is_pickled_generator(args.file)) {
    const auto lines = models::describe_pickle(args.file);  // throws before anything is printed
    std::printf("%s\n", args.file.c_str());
    for (const auto& line : lines) std::printf("%s\n", line.c_str());
    return;
  }
  const auto header = core::read_safetensors_header(args.file);
  std::printf("%s\n", args.file.c_str());
  // A segmenter's description first: what a person receiving the file needs.
  if (const auto description = annotator::read_model_description(args.file)) {
    std::printf("%s\n\n", models::describe_text(*description).c_str());
    const auto warning = models::defaulted_warning(*description, args.file);
    if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
  }
  for (const auto& [key, value] : header.metadata)
    std::printf("metadata %s: %s\n", key.c_str(), value.c_str());
  size_t name_width = 4;
  for (const auto& e : header.entries) name_width = std::max(name_width, e.name.size());
  std::printf("%-*s  %-5s  %-22s  %s\n", static_cast<int>(name_width), "name", "dtype", "shape",
              "size");
  uint64_t total = 0, numel_total = 0;
  for (const auto& e : header.entries) {
    uint64_t numel = 1;
    for (auto d : e.shape) numel *= static_cast<uint64_t>(d);
    numel_total += numel;
    total += e.end - e.begin;
    std::printf("%-*s  %-5s  %-22s  %s\n", static_cast<int>(name_width), e.name.c_str(),
                e.dtype.c_str(), format_shape(e.shape).c_str(),
                human_bytes(e.end - e.begin).c_str());
  }
  std::printf("%zu tensors, %llu elements, %s\n", header.entries.size(),
              static_cast<unsigned long long>(numel_total), human_bytes(total).c_str());
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  auto* cmd = app.add_subcommand("info",
                                 "print the metadata and tensor table of a .safetensors file, or "
                                 "what a StyleGAN pickle holds");
  cmd->add_option("file", args->file, "checkpoint (.safetensors), or a StyleGAN .pkl/.pt")
      ->required();
  cmd->callback([args] { run_info(*args); });
}

}  // namespace lagm::cli

// lagm data-export: writes exactly what a data set's loader returns (the image after resizing as
// PNG, the label as a palette PNG, a dataset.json with class names and ids), so users can look at
// their data before training; the output is itself a folder data set.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/data/dataset_spec.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/image.h"

namespace lagm::cli {
namespace {

struct DataExportArgs {
  CommonArgs common;
  std::string data, out;
  int64_t limit = 0;
  bool skip_bad = false;
};

void run_data_export(const DataExportArgs& args) {
  apply_common(args.common);
  refuse_outputs_over_inputs({{"--out", args.out}}, {{"--data", args.data}});
  const auto spec = data::parse_dataset_argument(args.data);
  auto dataset = data::open_dataset(spec, args.data, args.skip_bad);
  const size_t n = args.limit > 0
                       ? std::min<size_t>(dataset->size(), static_cast<size_t>(args.limit))
                       : dataset->size();
  // With --skip-bad, open_dataset has already left out (and reported) the samples that fail to
  // load.
  std::vector<std::string> names, ids;
  for (size_t i = 0; i < n; ++i) {
    const auto s = dataset->get(i);
    std::string name = s.id;
    std::replace(name.begin(), name.end(), '/', '_');  // CGPart ids are model/render
    data::write_folder_sample(args.out, name, io::to_uint8_image(s.image),
                              s.label.to(torch::kUInt8));
    names.push_back(name);
    ids.push_back(s.id);
    std::fprintf(stderr, "\rexported %zu/%zu", i + 1, n);
  }
  std::fprintf(stderr, "\n");
  data::write_dataset_json(
      args.out,
      {{"classes", dataset->class_names()}, {"samples", names}, {"ids", ids}, {"source", spec}});
  std::printf("%s: %zu samples, %lld classes", args.out.c_str(), names.size(),
              static_cast<long long>(dataset->num_classes()));
  if (dataset->skipped() > 0) std::printf(", %zu skipped as bad", dataset->skipped());
  std::printf("\n");
}

}  // namespace

void add_data_export_command(CLI::App& app) {
  auto args = std::make_shared<DataExportArgs>();
  auto* cmd = app.add_subcommand("data-export",
                                 "write what a data set's loader returns, as a folder data set");
  cmd->add_option("--data", args->data, "a folder, or a data set JSON (inline or .json file)")
      ->required();
  cmd->add_option("--out", args->out, "output folder")->required();
  cmd->add_option("--limit", args->limit, "export the first N samples only")->capture_default_str();
  cmd->add_flag("--skip-bad", args->skip_bad,
                "skip unreadable or inconsistent samples (warning + count)");
  add_common_options(*cmd, args->common);
  cmd->callback([args] { run_data_export(*args); });
}

}  // namespace lagm::cli

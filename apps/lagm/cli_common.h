// Options every lagm command shares, declared once.
#pragma once

#include <c10/util/Optional.h>
#include <torch/types.h>

#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

#include "lagm/data/dataset_spec.h"
#include "lagm/models/model_description.h"

namespace lagm::cli {

/// --device, --threads, --seed, --verbose.
struct CommonArgs {
  std::string device = "cpu";
  int threads = 0;  ///< 0 = number of cores
  uint64_t seed = 0;
  bool verbose = false;
  CLI::Option* seed_option = nullptr;  ///< to tell "--seed 0" from no --seed
  bool seed_given() const { return seed_option && seed_option->count() > 0; }
};

/// Adds the shared options to a subcommand.
void add_common_options(CLI::App& app, CommonArgs& args);

/// Validator of numeric options: a number that is finite (CLI11's own ranges let NaN through).
const CLI::Validator& finite_number();
/// Validator of numeric options: a finite number >= `minimum` ("--cols: '-2' must be >= 0").
CLI::Validator at_least(double minimum);
/// Validator of numeric options: a finite number in [low, high] ("'0' must be in [1, 4096]").
CLI::Validator in_range(double low, double high);

/// A yes/no option with one meaning in every command: `--NAME` or `--NAME on` sets `target`,
/// `--NAME off` clears it; left out, `target` keeps its default (which the help shows).
CLI::Option* add_on_off_option(CLI::App& app, const std::string& name, bool& target,
                               const std::string& help);

/// "0-15", "1,5,9-12" -> the seeds, in order. Throws UsageError on malformed lists.
std::vector<int64_t> parse_seed_list(const std::string& text);

/// "" -> nullopt, "none" -> nullopt, "8" -> 8; throws UsageError naming `option` otherwise.
c10::optional<int64_t> parse_optional_int(const std::string& text, const std::string& option);

/// The one resume rule of the training commands: `--resume RUN` continues the run in RUN from its
/// last saved state with the configuration RUN records; beside it only the shared options and the
/// run's length (`length_options`, e.g. {"--epochs"}) may be given. Throws a UsageError naming
/// the other options given.
void check_options_beside_resume(const CLI::App& command,
                                 const std::vector<std::string>& length_options);

/// --model as eval, predict and export take it (and --oracle): a train-seg checkpoint or
/// train-annotator snapshot as is, a run folder = its checkpoint of best validation FG-mIoU (the
/// reference's benchmark mode; printed), a demo arm's folder = its segmenter/ run's. InputError
/// naming the path and the option otherwise.
std::string resolve_model_path(const std::string& model, const std::string& option = "--model");

/// Prints the warning for a model whose file lacks (part of) its description, if any.
void warn_defaulted_description(const models::ModelDescription& description,
                                const std::string& path);

/// (option, path) pairs naming files and folders; empty paths are skipped.
using NamedPaths = std::vector<std::pair<std::string, std::string>>;

/// Refuses (UsageError naming both options) an output path equal to, or inside, an input path:
/// outputs never replace what a command reads ("eval --json M --model M"). Paths are compared
/// made absolute with links resolved, so "./M" and "dir/../M" are M.
void refuse_outputs_over_inputs(const NamedPaths& outputs, const NamedPaths& inputs);

/// `path` made absolute and normal ("" stays ""): what a run folder's config.json records, so that
/// `--resume` from another working directory reads the same files.
std::string absolute_path(const std::string& path);

/// The same for a data set given by folder (a JSON data set's own paths are left as written).
data::DatasetSpec with_absolute_path(data::DatasetSpec spec);

/// Sets threads, allocator and numerics, seeds LibTorch; returns the device to run on.
torch::Device apply_common(const CommonArgs& args);

}  // namespace lagm::cli

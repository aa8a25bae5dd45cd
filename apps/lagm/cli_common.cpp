#include "cli_common.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include "lagm/core/error.h"
#include "lagm/core/parse_int.h"
#include "lagm/core/runtime.h"
#include "lagm/eval/checkpoint_selection.h"

namespace lagm::cli {

namespace {

// The whole text as a finite number (std::stod alone takes "2x" as 2 and "nan" as NaN).
std::optional<double> parse_finite(const std::string& text) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace

const CLI::Validator& finite_number() {
  static const CLI::Validator validator(
      [](std::string& text) -> std::string {
        return parse_finite(text) ? "" : "'" + text + "' is not a finite number";
      },
      "FINITE");
  return validator;
}

CLI::Validator at_least(double minimum) {
  std::ostringstream bound;
  bound << minimum;
  return CLI::Validator(
      [minimum, bound = bound.str()](std::string& text) -> std::string {
        const auto v = parse_finite(text);
        if (!v) return "'" + text + "' is not a finite number";
        return *v >= minimum ? "" : "'" + text + "' must be >= " + bound;
      },
      ">=" + bound.str());
}

CLI::Validator in_range(double low, double high) {
  auto number = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return std::string(buf);
  };
  const std::string bounds = "[" + number(low) + ", " + number(high) + "]";
  return CLI::Validator(
      [low, high, bounds](std::string& text) -> std::string {
        const auto v = parse_finite(text);
        if (!v) return "'" + text + "' is not a finite number";
        return *v >= low && *v <= high ? "" : "'" + text + "' must be in " + bounds;
      },
      bounds);
}

void add_common_options(CLI::App& app, CommonArgs& args) {
  app.add_option("--device", args.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--threads", args.threads, "intra-op threads (0 = all cores)")
      ->capture_default_str()
      ->check(at_least(0));
  args.seed_option = app.add_option("--seed", args.seed, "random seed")->capture_default_str();
  app.add_flag("--verbose", args.verbose, "print backtraces with errors");
}

CLI::Option* add_on_off_option(CLI::App& app, const std::string& name, bool& target,
                               const std::string& help) {
  const std::string shown = help + " (default " + (target ? "on" : "off") + ")";
  return app
      .add_option_function<std::string>(
          name,
          [&target, name](const std::string& text) {
            if (!text.empty() && text != "on" && text != "off")
              throw UsageError(name + " '" + text + "': expected on or off");
            target = text != "off";  // bare: on
          },
          shown)
      ->expected(0, 1)
      ->type_name("[on|off]");
}

std::vector<int64_t> parse_seed_list(const std::string& text) {
  std::vector<int64_t> seeds;
  std::stringstream ss(text);
  std::string part;
  auto to_int = [&](const std::string& s) -> int64_t {
    size_t used = 0;
    int64_t v = -1;
    try {
      v = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != s.size() || s.empty() || v < 0 || v > 0xffffffffll)
      throw UsageError("--seeds '" + text + "': '" + s + "' is not a seed in [0, 2^32)");
    return v;
  };
  while (std::getline(ss, part, ',')) {
    const auto dash = part.find('-');
    if (dash == std::string::npos) {
      seeds.push_back(to_int(part));
      continue;
    }
    const int64_t lo = to_int(part.substr(0, dash)), hi = to_int(part.substr(dash + 1));
    if (hi < lo) throw UsageError("--seeds '" + text + "': range " + part + " is empty");
    if (hi - lo > 1000000)
      throw UsageError("--seeds '" + text + "': range " + part + " is too long");
    for (int64_t s = lo; s <= hi; ++s) seeds.push_back(s);
  }
  if (seeds.empty()) throw UsageError("--seeds: no seeds given");
  return seeds;
}

c10::optional<int64_t> parse_optional_int(const std::string& text, const std::string& option) {
  if (text.empty() || text == "none" || text == "null") return c10::nullopt;
  const auto v = core::parse_int64(text);
  if (!v) throw UsageError(option + " '" + text + "': expected an integer or 'none'");
  return *v;
}

std::string resolve_model_path(const std::string& model, const std::string& option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(model, ec)) {
    if (!fs::exists(model, ec)) throw InputError(model + ": " + option + " not found");
    return model;
  }
  // A demo keeps each arm's downstream run in <arm>/segmenter; the arm's folder is what users see.
  auto run = fs::path(model);
  if (!fs::exists(run / "metrics-val.jsonl", ec) &&
      fs::exists(run / "segmenter/metrics-val.jsonl", ec))
    run /= "segmenter";
  if (!fs::exists(run / "metrics-val.jsonl", ec))
    throw InputError(model + ": " + option +
                     " is a folder but not a run (no metrics-val.jsonl in it or in segmenter/)");
  const auto best = eval::best_validation_checkpoint(run.string());
  std::printf("%s: best validation FG-mIoU %.4f at %lld\n", best.path.c_str(), best.val_fg_miou,
              static_cast<long long>(best.step));
  return best.path;
}

void warn_defaulted_description(const models::ModelDescription& description,
                                const std::string& path) {
  const auto warning = models::defaulted_warning(description, path);
  if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
}

void refuse_outputs_over_inputs(const NamedPaths& outputs, const NamedPaths& inputs) {
  namespace fs = std::filesystem;
  auto resolved = [](const std::string& p) {
    std::error_code ec;
    auto r = fs::weakly_canonical(fs::absolute(p), ec);
    return ec ? fs::absolute(p).lexically_normal() : r;
  };
  for (const auto& [out_option, out_path] : outputs) {
    if (out_path.empty()) continue;
    const auto out = resolved(out_path);
    for (const auto& [in_option, in_path] : inputs) {
      // An inline JSON data set is no path.
      if (in_path.empty() || in_path.front() == '{') continue;
      const auto in = resolved(in_path);
      const auto mismatch = std::mismatch(in.begin(), in.end(), out.begin(), out.end());
      if (mismatch.first != in.end()) continue;  // `out` is neither `in` nor inside it
      throw UsageError(out_option + " " + out_path + (out == in ? " is " : " lies inside ") +
                       in_option + " " + in_path +
                       ": an output never replaces an input; write it elsewhere");
    }
  }
}

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;
  return std::filesystem::absolute(path).lexically_normal().string();
}

data::DatasetSpec with_absolute_path(data::DatasetSpec spec) {
  if (spec.source.is_null()) spec.path = absolute_path(spec.path);
  return spec;
}

torch::Device apply_common(const CommonArgs& args) {
  core::configure_runtime(args.threads);
  const torch::Device device = core::parse_device(args.device);
  torch::manual_seed(args.seed);
  return device;
}

void check_options_beside_resume(const CLI::App& command,
                                 const std::vector<std::string>& length_options) {
  static const std::vector<std::string> shared = {"--resume", "--device", "--threads", "--verbose",
                                                  "--help"};
  std::string extra;
  for (const CLI::Option* option : command.get_options()) {
    if (option->count() == 0) continue;
    const std::string name = option->get_name();  // the first long name, e.g. "--out"
    auto listed = [&](const std::vector<std::string>& names) {
      return std::find(names.begin(), names.end(), name) != names.end();
    };
    if (listed(shared) || listed(length_options)) continue;
    extra += (extra.empty() ? "" : ", ") + name;
  }
  if (!extra.empty()) {
    std::string allowed;
    for (const auto& o : length_options) allowed += (allowed.empty() ? "" : ", ") + o;
    throw UsageError(command.get_name() + " --resume: the run's own config.json sets " + extra +
                     (allowed.empty() ? "" : " (only " + allowed + " may change)"));
  }
}

}  // namespace lagm::cli

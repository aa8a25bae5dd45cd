// lagm: the command-line front end. Builds the command tree, parses, and maps errors to exit codes:
// 0 ok, 1 failure, 2 bad usage or bad input.
#include <c10/util/Exception.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <new>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.h"
#include "lagm/core/error.h"
#include "lagm/core/provenance.h"
#include "option_ranges.h"
#include "setting_names.h"

namespace {

// Errors are one line on stderr; library messages can span several.
std::string first_line(const char* message) {
  std::string s = message ? message : "";
  const auto end = s.find('\n');
  return end == std::string::npos ? s : s.substr(0, end);
}

// The command tree, every command's options and their ranges.
void add_commands(CLI::App& app) {
  lagm::cli::add_info_command(app);
  lagm::cli::add_convert_command(app);
  lagm::cli::add_generate_command(app);
  lagm::cli::add_train_annotator_command(app);
  lagm::cli::add_train_annotator_supervised_command(app);
  lagm::cli::add_project_command(app);
  lagm::cli::add_synthesize_command(app);
  lagm::cli::add_train_seg_command(app);
  lagm::cli::add_eval_command(app);
  lagm::cli::add_predict_command(app);
  lagm::cli::add_export_command(app);
  lagm::cli::add_render_command(app);
  lagm::cli::add_train_gan_command(app);
  lagm::cli::add_demo_command(app);
  lagm::cli::add_gan_quality_command(app);
  lagm::cli::add_annotator_quality_command(app);
  lagm::cli::add_data_export_command(app);
  lagm::cli::add_prepare_pascal_part_command(app);
  lagm::cli::add_launch_command(app);
  lagm::cli::apply_option_ranges(app);
}

// CLI11 answers an unknown command with "A subcommand is required"; name it instead. False when
// `name` is no command (the error is printed).
bool known_command(CLI::App& app, const char* name) {
  std::string known;
  bool found = false;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    found = found || sub->get_name() == name;
    known += (known.empty() ? "" : ", ") + sub->get_name();
  }
  if (!found)
    std::fprintf(stderr, "lagm: error: unknown command '%s' (commands: %s)\n", name, known.c_str());
  return found;
}

// Exit status 1 and one line for a failure inside LibTorch. Bad input is caught before it reaches
// LibTorch, so what arrives here is memory the estimates did not foresee (they are lower bounds),
// said as such, or a failure we did not foresee; --verbose gives LibTorch's whole message.
int report_libtorch_failure(const c10::Error& e, bool verbose) {
  const std::string text = first_line(e.what_without_backtrace());
  if (text.find("can't allocate memory") != std::string::npos ||
      text.find("out of memory") != std::string::npos) {
    std::fprintf(stderr, "lagm: error: out of memory: %s (smaller batches or images need less)\n",
                 text.c_str());
    return 1;
  }
  if (verbose) std::fprintf(stderr, "%s\n", e.what());
  std::fprintf(stderr, "lagm: error: unexpected failure inside LibTorch: %s%s\n", text.c_str(),
               verbose ? "" : " (--verbose for details)");
  return 1;
}

// The subcommand the command line chose ("train-seg"), "" before one was parsed.
std::string parsed_command(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) return sub->get_name();
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lagm: learning to annotate part segmentation with gradient matching"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("lagm ") + lagm::core::lagm_version());
  lagm::core::set_command_line(argc, argv);
  add_commands(app);

  if (argc > 1 && argv[1][0] != '-' && !known_command(app, argv[1])) return 2;

  bool verbose = false;
  for (int i = 1; i < argc; ++i) verbose = verbose || std::strcmp(argv[i], "--verbose") == 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lagm: error: %s (see --help)\n", e.what());
    return 2;
  } catch (const lagm::InputError& e) {
    std::fprintf(stderr, "lagm: error: %s\n", e.what());
    return 2;
  } catch (const lagm::SettingError& e) {
    const std::string command = parsed_command(app);
    const auto option = [&](const std::string& key) {
      return lagm::cli::option_for_setting(command, key);
    };
    std::fprintf(stderr, "lagm: error: %s\n", e.message(option).c_str());
    return 2;
  } catch (const lagm::UsageError& e) {
    std::fprintf(stderr, "lagm: error: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "lagm: error: out of memory (smaller batches or images need less)\n");
    return 1;
  } catch (const c10::Error& e) {
    return report_libtorch_failure(e, verbose);
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "lagm: error: unexpected JSON failure: %s\n",
                 first_line(e.what()).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lagm: error: %s\n", first_line(e.what()).c_str());
    return 1;
  }
  return 0;
}

// One `add_<command>_command` per subcommand file; main.cpp calls them all.
#pragma once

#include <CLI/CLI.hpp>

namespace lagm::cli {

void add_info_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_train_annotator_command(CLI::App& app);
void add_train_annotator_supervised_command(CLI::App& app);
void add_synthesize_command(CLI::App& app);
void add_train_seg_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_render_command(CLI::App& app);
void add_train_gan_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_gan_quality_command(CLI::App& app);
void add_annotator_quality_command(CLI::App& app);
void add_data_export_command(CLI::App& app);
void add_prepare_pascal_part_command(CLI::App& app);
void add_launch_command(CLI::App& app);
void add_project_command(CLI::App& app);

}  // namespace lagm::cli

#include "lagm/demo/report.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/downstream/semi_supervised.h"
#include "lagm/io/grid.h"
#include "lagm/io/image.h"
#include "lagm/io/text.h"
#include "lagm/toy/rendered_image.h"

namespace lagm::demo {
namespace {

namespace fs = std::filesystem;

std::string percent(double v) {
  if (std::isnan(v)) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", 100 * v);
  return buf;
}

std::string display_name(const std::string& arm) {
  // Rows derived from another arm: `<arm><suffix>` is named after that arm.
  for (const auto& [suffix, what] :
       {std::pair<std::string, std::string>{"_finetuned", ", fine-tuned on the N labels"},
        {"_synthetic_only", ", synthesized images only"}})
    if (arm.size() > suffix.size() &&
        arm.compare(arm.size() - suffix.size(), suffix.size(), suffix) == 0)
      return display_name(arm.substr(0, arm.size() - suffix.size())) + what;
  if (arm == "gradient_matching") return "gradient matching (ours)";
  if (arm == "few_label") return "U-Net on the N labels";
  if (arm == "pseudo_label") return "pseudo-labelling";
  if (arm == "oracle") return "oracle (labelled photos)";
  if (arm == "oracle_pseudo_label") return "pseudo-labelling by the oracle (route ceiling)";
  if (arm == "matching_alone") return "gradient matching alone (no pull towards few-label labels)";
  if (arm == "supervised") return "supervised annotator (N labelled generated images)";
  if (arm == "datasetgan") return "DatasetGAN's MLP ensemble (N labelled generated images)";
  if (arm == "inversion") return "inversion (N labelled photos projected)";
  if (arm == "maml") return "MAML learner (k = 1)";
  if (arm == "mean_teacher") return "mean teacher (N labels + unlabelled photos)";
  if (arm == "adversarial_ssl") return "adversarial semi-supervised (N labels + unlabelled photos)";
  return arm;
}

// A column title short enough for a 64-px cell of the prediction grid.
std::string short_name(const std::string& arm) {
  for (const auto& [suffix, what] :
       {std::pair<std::string, std::string>{"_finetuned", " +fine-tuned"},
        {"_synthetic_only", " synth. only"}})
    if (arm.size() > suffix.size() &&
        arm.compare(arm.size() - suffix.size(), suffix.size(), suffix) == 0)
      return short_name(arm.substr(0, arm.size() - suffix.size())) + what;
  if (arm == "gradient_matching") return "gradient matching";
  if (arm == "few_label") return "U-Net on N labels";
  if (arm == "pseudo_label") return "pseudo-labels";
  if (arm == "oracle_pseudo_label") return "oracle pseudo-labels";
  if (arm == "matching_alone") return "matching alone";
  if (arm == "supervised") return "supervised annotator";
  if (arm == "datasetgan") return "DatasetGAN";
  if (arm == "maml") return "MAML";
  if (arm == "mean_teacher") return "mean teacher";
  if (arm == "adversarial_ssl") return "adversarial SSL";
  return arm;
}

/// uint8 [N, H, W, 3] images of the first `count` samples of a folder data set, and their labels.
std::pair<torch::Tensor, torch::Tensor> first_samples(const std::string& dir, int64_t count) {
  data::FolderDataset ds(dir);
  std::vector<size_t> idx;
  for (size_t i = 0; i < std::min<size_t>(ds.size(), static_cast<size_t>(count)); ++i)
    idx.push_back(i);
  auto [x, y] = data::load_batch(ds, idx);
  return {io::to_uint8_image(x), y};
}

/// Rows of: image | truth | one prediction per arm.
torch::Tensor prediction_grid(const ReportInputs& in, int64_t rows) {
  auto [img, truth] = first_samples(in.test_dir, rows);
  data::FolderDataset ds(in.test_dir);
  std::vector<size_t> idx;
  for (int64_t i = 0; i < img.size(0); ++i) idx.push_back(static_cast<size_t>(i));
  const auto x = data::load_batch(ds, idx).first;
  std::vector<torch::Tensor> columns = {img, io::colorize_labels(truth)};
  for (const auto& arm : in.result.arms) {
    auto seg = annotator::load_segmenter(arm.checkpoint);
    torch::NoGradGuard no_grad;
    const auto pred = seg.segmenter->forward(x.to(in.options.device)).argmax(1).cpu();
    columns.push_back(io::colorize_labels(pred));
  }
  auto tiles = torch::stack(columns, 1);  // [rows, cols, H, W, 3]
  const int64_t cols = tiles.size(1);
  std::vector<std::string> titles = {"image", "truth"};
  for (const auto& arm : in.result.arms) titles.push_back(short_name(arm.name));
  const auto& names = in.result.class_names;
  return io::titled_grid(io::tile_images(tiles.flatten(0, 1), cols), titles, img.size(2), names,
                         io::voc_colors(static_cast<int64_t>(names.size())));
}

// Generated images over their gradient-matching annotator labels, titled, with the legend.
torch::Tensor annotator_label_grid(const ReportInputs& in) {
  auto [img, labels] = first_samples(in.synthesized_dir, 16);
  const auto grid =
      torch::cat({io::tile_images(img, 8), io::tile_images(io::colorize_labels(labels), 8)}, 0);
  const auto& names = in.result.class_names;
  return io::titled_grid(
      grid, {"generated images (top) and their gradient-matching annotator labels (bottom)"},
      grid.size(1), names, io::voc_colors(static_cast<int64_t>(names.size())));
}

// The command that segments a user's own images with this run's gradient-matching U-Net.
std::string predict_command(const ReportInputs& in) {
  for (const auto& a : in.result.arms)
    if (a.name == "gradient_matching")
      return "lagm predict --model " + a.checkpoint + " --images YOUR_IMAGES --out " +
             (fs::path(in.options.out) / "my-predictions").string() + " --overlay --report";
  return "";
}

// The levers this run used, in one sentence for both reports; with the comparison arms, how each
// was made.
std::string settings_sentence(const DemoOptions& options, const DemoSettings& s) {
  std::ostringstream o;
  if (options.labelled_source == LabelledSource::kGenerated)
    o << "Table 1 protocol: the N labelled images are generated images labelled by the oracle "
         "U-Net, which stands in for the person who would label them; every arm that learns from "
         "labels learns from these. ";
  if (runs_arm(options, "matching_alone"))
    o << "The matching-alone arm is gradient matching with every setting below except the pull of "
         "A's labels towards the few-label U-Net's: phase A learns from the matching loss alone, "
         "as in the paper. ";
  if (runs_arm(options, "supervised") || runs_arm(options, "datasetgan"))
    o << "The supervised and DatasetGAN annotators learn from N generated images labelled by the "
         "oracle U-Net, which stands in for the person who would label them (DatasetGAN's "
         "protocol); DatasetGAN's ensemble has "
      << s.ensemble_members
      << " members and its synthesis keeps the 90 % of images its members disagree on least. ";
  if (runs_arm(options, "inversion"))
    o << "The inversion arm projects the N labelled images into the generator ("
      << s.projector_steps
      << " projector steps each, pixel MSE distance) and fits the annotator to the projections. ";
  if (runs_arm(options, "mean_teacher"))
    o << "Mean teacher trains a U-Net on the N labels with the few-label recipe and, beside "
         "every batch, as many unlabelled photo renders (a set disjoint from every other), pulled "
         "towards its weight average's labels (decay "
      << downstream::MeanTeacherOptions{}.teacher_decay
      << "); the average is validated and evaluated. ";
  if (runs_arm(options, "adversarial_ssl"))
    o << "The adversarial semi-supervised arm (Hung et al.) trains the same U-Net on the same "
         "images beside a discriminator of label maps, fooling it and, after a quarter of the "
         "steps, learning its own labels of unlabelled images where the discriminator trusts "
         "them. ";
  if (runs_arm(options, "maml"))
    o << "The MAML arm runs phase I with one unrolled SGD step (inner rate " << s.maml_inner_lr
      << ") instead of gradient matching. ";
  o << "Gradient matching: prior calibration at synthesis " << (s.calibrate_priors ? "on" : "off")
    << ", class balance power " << s.class_balance_power << ", magnitude weight "
    << s.magnitude_weight << ", target gradient from "
    << (s.all_labels ? "all N labels" : "a batch of 2") << ", " << s.gm_steps
    << " matching steps, learning rates A " << s.gm_lr << " and S " << s.gm_segmenter_lr
    << ", A starting from "
    << (s.init_from_pseudo_label ? "the pseudo-labelling annotator" : "random weights");
  if (s.gm_pseudo_label_weight > 0)
    o << ", A's labels pulled towards the few-label U-Net's labels of the same generated images "
         "(weight "
      << s.gm_pseudo_label_weight << " against the matching loss)";
  o << ", labelled batches " << (s.label_augment ? "augmented" : "as rendered")
    << ", phase S on A's labels"
    << (s.label_loss_weight > 0
            ? " and the labelled batch (weight " + std::to_string(s.label_loss_weight) + ")"
            : std::string(" only"))
    << ". Every downstream U-Net: class-balanced loss power " << s.downstream_class_balance << ".";
  if (s.finetune_lr > 0)
    o << " Fine-tuned arms: the arm's downstream U-Net trained on further on the N labels with the "
         "few-label recipe"
      << " at Adam " << s.finetune_lr << ".";
  const std::string routes = options.comparison_arms.empty()
                                 ? "Gradient matching and pseudo-labelling"
                                 : "The arms that synthesize a data set";
  if (s.mix_labels > 0)
    o << " " << routes
      << " train their downstream U-Net on their "
         "synthesized set with "
      << s.mix_labels << " of every " << s.batch
      << " samples drawn from the N labels (flips, scale/crop, colour jitter), the same steps as "
         "the others"
      << (s.synthetic_only_rows ? "; rows \"synthesized images only\" leave the labels out." : ".");
  else
    o << " " << routes << " train their downstream U-Net on their synthesized set alone.";
  return o.str();
}

nlohmann::json results_json(const ReportInputs& in) {
  nlohmann::json methods = nlohmann::json::object();
  for (const auto& a : in.result.arms) {
    std::vector<nlohmann::json> per_class;
    for (double v : a.metrics.iou)
      per_class.push_back(std::isnan(v) ? nlohmann::json() : nlohmann::json(v));
    methods[a.name] = {
        {"mIoU", a.metrics.mean_iou},
        {"fg_mIoU", a.metrics.fg_mean_iou},
        {"pACC", a.metrics.pixel_accuracy},
        {"per_class", per_class},
        {"train_seconds", a.seconds},
        {"checkpoint", fs::path(a.checkpoint).lexically_relative(in.options.out).string()}};
    if (!a.annotator_quality.is_null()) methods[a.name]["annotator_quality"] = a.annotator_quality;
  }
  return {{"labels", in.options.labels},
          {"labelled_style", toy::to_string(in.options.labelled_style)},
          {"labelled_source", labelled_source_name(in.options.labelled_source)},
          {"comparison_arms", in.options.comparison_arms},
          {"quick", in.options.quick},
          {"precision", train::precision_name(in.options.precision)},
          {"seconds", in.result.seconds},
          {"generator", in.options.generator},
          {"seed", in.options.seed},
          {"class_names", in.result.class_names},
          {"settings", in.settings.to_json()},
          {"methods", methods}};
}

std::string markdown(const ReportInputs& in) {
  std::ostringstream md;
  const auto& r = in.result;
  md << "# lagm demo: " << describe_labelled_set(in.options) << ", test on photos\n\n";
  md << "Generator `" << in.options.generator << "`; total time " << static_cast<int64_t>(r.seconds)
     << " s" << (in.options.quick ? " (quick mode)" : "") << ".\n\n";
  md << "| method | mIoU | FG-mIoU | pACC | training s |\n|---|---:|---:|---:|---:|\n";
  for (const auto& a : r.arms)
    md << "| " << display_name(a.name) << " | " << percent(a.metrics.mean_iou) << " | "
       << percent(a.metrics.fg_mean_iou) << " | " << percent(a.metrics.pixel_accuracy) << " | "
       << static_cast<int64_t>(a.seconds) << " |\n";
  md << "\nPer-class IoU (%):\n\n| method |";
  for (const auto& c : r.class_names) md << " " << c << " |";
  md << "\n|---|";
  for (size_t i = 0; i < r.class_names.size(); ++i) md << "---:|";
  md << "\n";
  for (const auto& a : r.arms) {
    md << "| " << display_name(a.name) << " |";
    for (double v : a.metrics.iou) md << " " << percent(v) << " |";
    md << "\n";
  }
  md << "\nAnnotators' labels on " << in.settings.quality_images
     << " generated images against the oracle's labels of the same images (IoU %; no downstream "
        "training):\n\n| annotator |";
  for (const auto& c : r.class_names) md << " " << c << " |";
  md << " FG-mIoU |\n|---|";
  for (size_t i = 0; i <= r.class_names.size(); ++i) md << "---:|";
  md << "\n";
  for (const auto& a : r.arms) {
    if (a.annotator_quality.is_null()) continue;
    const auto& q = a.annotator_quality.at("vs_oracle");
    md << "| " << display_name(a.name) << " |";
    for (double v : q.at("per_class_iou").get<std::vector<double>>())
      md << " " << percent(v) << " |";
    md << " " << percent(q.at("fg_mIoU").get<double>()) << " |\n";
  }
  md << "\n" << settings_sentence(in.options, in.settings) << "\n";
  md << "\n## Generated images and their gradient-matching annotator labels\n\n![annotator "
        "labels](annotator_labels.png)\n";
  md << "\n## Test predictions\n\nColumns: image | truth";
  for (const auto& a : r.arms) md << " | " << display_name(a.name);
  md << "\n\n![predictions](predictions.png)\n";
  const auto command = predict_command(in);
  if (!command.empty())
    md << "\n## Segment your own images\n\nThe gradient-matching U-Net of this run segments any "
          "folder of PNG or JPEG images (any size; each is resized to the "
       << in.settings.resolution << "x" << in.settings.resolution
       << " the network was trained at and its mask brought back to its own "
          "size):\n\n```sh\n"
       << command
       << "\n```\n\nmasks/ holds the class-index masks (palette PNGs), overlays/ the images with "
          "their parts and a legend, index.html all of them; `lagm export` gives the network to "
          "PyTorch.\n";
  return md.str();
}

std::string html(const ReportInputs& in) {
  std::ostringstream h;
  const auto& r = in.result;
  h << "<!doctype html><html><head><meta charset=\"utf-8\"><title>lagm demo</title><style>"
       "body{font-family:sans-serif;max-width:1100px;margin:2em "
       "auto}table{border-collapse:collapse;margin:1em 0}"
       "td,th{border:1px solid #ccc;padding:4px "
       "8px;text-align:right}td:first-child,th:first-child{text-align:left}"
       "img{image-rendering:pixelated;width:100%}</style></head><body>";
  h << "<h1>lagm demo: " << describe_labelled_set(in.options) << "</h1><p>Generator <code>"
    << in.options.generator << "</code>; total " << static_cast<int64_t>(r.seconds) << " s"
    << (in.options.quick ? " (quick mode)" : "") << ".</p>";
  h << "<table><tr><th>method</th><th>mIoU</th><th>FG-mIoU</th><th>pACC</th><th>training "
       "s</th></tr>";
  for (const auto& a : r.arms)
    h << "<tr><td>" << display_name(a.name) << "</td><td>" << percent(a.metrics.mean_iou)
      << "</td><td>" << percent(a.metrics.fg_mean_iou) << "</td><td>"
      << percent(a.metrics.pixel_accuracy) << "</td><td>" << static_cast<int64_t>(a.seconds)
      << "</td></tr>";
  h << "</table><h2>Per-class IoU (%)</h2><table><tr><th>method</th>";
  for (const auto& c : r.class_names) h << "<th>" << c << "</th>";
  h << "</tr>";
  for (const auto& a : r.arms) {
    h << "<tr><td>" << display_name(a.name) << "</td>";
    for (double v : a.metrics.iou) h << "<td>" << percent(v) << "</td>";
    h << "</tr>";
  }
  h << "</table><h2>Annotator labels against the oracle's (IoU %, " << in.settings.quality_images
    << " generated images)</h2><table><tr><th>annotator</th>";
  for (const auto& c : r.class_names) h << "<th>" << c << "</th>";
  h << "<th>FG-mIoU</th></tr>";
  for (const auto& a : r.arms) {
    if (a.annotator_quality.is_null()) continue;
    const auto& q = a.annotator_quality.at("vs_oracle");
    h << "<tr><td>" << display_name(a.name) << "</td>";
    for (double v : q.at("per_class_iou").get<std::vector<double>>())
      h << "<td>" << percent(v) << "</td>";
    h << "<td>" << percent(q.at("fg_mIoU").get<double>()) << "</td></tr>";
  }
  h << "</table><p>" << settings_sentence(in.options, in.settings) << "</p>";
  h << "<h2>Generated images and their gradient-matching annotator labels</h2>"
       "<img src=\"annotator_labels.png\" alt=\"annotator labels\">";
  h << "<h2>Test predictions</h2><p>Columns: image | truth";
  for (const auto& a : r.arms) h << " | " << display_name(a.name);
  h << "</p><img src=\"predictions.png\" alt=\"predictions\">";
  const auto command = predict_command(in);
  if (!command.empty())
    h << "<h2>Segment your own images</h2><p>The gradient-matching U-Net of this run segments any "
         "folder of PNG or JPEG images (any size):</p><pre>"
      << command << "</pre>";
  h << "</body></html>\n";
  return h.str();
}

}  // namespace

void write_report(const ReportInputs& in) {
  const fs::path out(in.options.out);
  core::write_file_atomic((out / "results.json").string(), results_json(in).dump(2) + "\n");
  io::write_png((out / "annotator_labels.png").string(), annotator_label_grid(in));
  io::write_png((out / "predictions.png").string(), prediction_grid(in, 8));
  core::write_file_atomic((out / "report.md").string(), markdown(in));
  core::write_file_atomic((out / "report.html").string(), html(in));
}

}  // namespace lagm::demo

#include "lagm/demo/demo.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/baselines/pseudo_label.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/demo/arm_configs.h"
#include "lagm/demo/comparison_arms.h"
#include "lagm/demo/render_set.h"
#include "lagm/demo/report.h"
#include "lagm/demo/stages.h"
#include "lagm/downstream/segmenter_trainer.h"
#include "lagm/eval/evaluate.h"
#include "lagm/io/folder_lock.h"
#include "lagm/matching/annotator_trainer.h"
#include "lagm/synth/annotator_quality.h"
#include "lagm/synth/synthesize.h"
#include "lagm/toy/domain.h"

namespace lagm::demo {
namespace {

namespace fs = std::filesystem;

// Seed ranges of the rendered sets: disjoint from each other and from the GAN's training renders
// (train-gan renders seeds 100,000,000 and up; gan-quality's renders start at 4,000,000).
constexpr uint64_t kLabelledSeeds = 0, kValidationSeeds = 1000000, kTestSeeds = 2000000,
                   kOracleSeeds = 3000000, kUnlabelledSeeds = 6000000;

class Demo {
 public:
  Demo(DemoOptions o, ProgressFn progress)
      : o_(std::move(o)), s_(demo_settings(o_.quick, o_.levers)), progress_(std::move(progress)) {}

  DemoResult run() {
    const io::FolderLock lock(o_.out);
    // Every arm writes into a folder of its own inside the demo's: none may lead outside.
    core::refuse_links_inside(o_.out);
    if (!fs::exists(o_.generator))
      throw InputError(o_.generator + ": generator checkpoint not found");
    class_names_ = toy::find_domain("faces").class_names;
    const std::string data = path("data");
    run_core_arms(data);
    const auto route_arms = run_optional_arms(data);
    // 9. Test-set evaluation of every arm, then the report.
    DemoResult result = evaluate_arms(data + "/test", route_arms);
    ReportInputs inputs{o_, s_, result, data + "/test", path("gradient_matching/synthesized")};
    write_report(inputs);
    return result;
  }

 private:
  // The four arms every demo runs, after its data.
  void run_core_arms(const std::string& data) {
    // 1. Data: N labelled images, validation in the labelled style; test and oracle sets are
    // photos.
    stages_.run("render", [&] {
      if (o_.labelled_source == LabelledSource::kRendered)
        render(data + "/labelled", o_.labelled_style, kLabelledSeeds + 1000 * o_.seed, o_.labels);
      render(data + "/validation", o_.labelled_style, kValidationSeeds, s_.validation);
      render(data + "/test", toy::Style::kPhoto, kTestSeeds, s_.test);
      render(data + "/oracle", toy::Style::kPhoto, kOracleSeeds, s_.oracle);
    });
    // 1b. Table 1's protocol: the N labelled images are generated images the oracle labels (the
    // supervised arms' labels), so the oracle comes first.
    if (o_.labelled_source == LabelledSource::kGenerated) {
      train_oracle(data);
      stages_.run("label_generated", [&] { label_generated_images(data + "/labelled"); });
    }
    // 2. Few labels: a U-Net on the N images with strong augmentation, as many steps as the others.
    stages_.run("few_label", [&] { train_segmenter(few_label_config(o_, s_), "few_label"); });
    // 3. Oracle: a U-Net on many labelled photos; it also judges the annotators' labels.
    train_oracle(data);
    // 4. Pseudo-labelling: the few-label U-Net labels generated images, an annotator fits them
    //    (plain arg-max synthesis: its labels come from a network trained on the N labels).
    stages_.run("pseudo_label", [&] { pseudo_label("few_label", "pseudo_label"); });
    // 5. Gradient matching: annotator (phase I), synthesis, downstream U-Net (phase II); with
    //    init_from_pseudo_label, A starts from the pseudo-labelling annotator of stage 4.
    stages_.run("gradient_matching", [&] {
      route_with_calibration(learn_annotator_by_gradient_matching(data), "gradient_matching");
    });
  }

  void train_oracle(const std::string& data) {
    stages_.run("oracle",
                [&] { train_segmenter(segmenter_config(o_, s_, data + "/oracle"), "oracle"); });
  }

  // N generated images labelled by the oracle: the person of DatasetGAN's protocol.
  void label_generated_images(const std::string& dir) {
    fs::remove_all(dir);
    auto oracle = annotator::load_segmenter(best_checkpoint("oracle"));
    write_labelled_generated_images(arm_context("label_generated"), *oracle.segmenter, class_names_,
                                    dir);
  }

  // The arms the options add; returns the route arms (generator -> annotator -> synthesis).
  std::vector<std::string> run_optional_arms(const std::string& data) {
    // 6. Optional: the route's ceiling, the same with the oracle as the labeller.
    if (o_.route_ceiling)
      stages_.run("oracle_pseudo_label", [&] { pseudo_label("oracle", "oracle_pseudo_label"); });
    std::vector<std::string> route_arms = {"gradient_matching", "pseudo_label"};
    if (o_.route_ceiling) route_arms.push_back("oracle_pseudo_label");
    // 6b. Optional: the paper's comparison arms, on the same data and downstream budget.
    comparison_arms(data);
    for (const auto& arm : o_.comparison_arms)
      if (is_route_arm(arm)) route_arms.push_back(arm);
    // 7. Optional: each route arm's U-Net fine-tuned on the N labels.
    if (s_.finetune_lr > 0)
      for (const auto& arm : route_arms) stages_.run(arm + "_finetuned", [&] { finetune(arm); });
    // 8. Optional: each route arm's U-Net trained on its synthesized set alone.
    if (synthetic_only_rows())
      for (const auto& arm : route_arms)
        stages_.run(arm + "_synthetic_only", [&] {
          train_segmenter(segmenter_config(o_, s_, path(arm + "/synthesized")),
                          arm + "_synthetic_only");
        });
    return route_arms;
  }

  bool synthetic_only_rows() const { return s_.mix_labels > 0 && s_.synthetic_only_rows; }

  // Every arm's best checkpoint on the test set, in the report's order.
  DemoResult evaluate_arms(const std::string& test_dir,
                           const std::vector<std::string>& route_arms) {
    DemoResult result;
    result.out = o_.out;
    result.class_names = class_names_;
    data::FolderDataset test(test_dir);
    std::vector<std::string> arms = {"gradient_matching", "few_label", "pseudo_label", "oracle"};
    if (o_.route_ceiling) arms.push_back("oracle_pseudo_label");
    arms.insert(arms.end(), o_.comparison_arms.begin(), o_.comparison_arms.end());
    if (s_.finetune_lr > 0)
      for (const auto& arm : route_arms) arms.push_back(arm + "_finetuned");
    if (synthetic_only_rows())
      for (const auto& arm : route_arms) arms.push_back(arm + "_synthetic_only");
    for (const auto& arm : arms) {
      ArmResult a;
      a.name = arm;
      a.checkpoint = best_checkpoint(arm);
      auto seg = annotator::load_segmenter(a.checkpoint);
      a.metrics = eval::evaluate_segmenter(*seg.segmenter, test, o_.device, 16).metrics();
      a.seconds = stages_.seconds(arm);
      const auto quality = path(arm + "/annotator_quality.json");
      if (fs::exists(quality))
        a.annotator_quality = nlohmann::json::parse(core::read_file(quality));
      result.arms.push_back(a);
      log(arm + ": test mIoU " + std::to_string(a.metrics.mean_iou) + "  FG-mIoU " +
          std::to_string(a.metrics.fg_mean_iou));
    }
    result.seconds = stages_.total_seconds();
    return result;
  }

  std::string path(const std::string& rel) const { return demo_path(o_, rel); }
  void log(const std::string& line) const {
    if (progress_) progress_(line);
  }

  void render(const std::string& dir, toy::Style style, uint64_t first_seed, int64_t count) const {
    render_set(dir, style, first_seed, count, s_.resolution, progress_);
  }

  /// The arm's best downstream U-Net trained on further with the few-label recipe.
  void finetune(const std::string& arm) const {
    auto c = few_label_config(o_, s_);
    c.init = best_checkpoint(arm);
    c.lr = s_.finetune_lr;
    train_segmenter(c, arm + "_finetuned");
  }

  void train_segmenter(const downstream::SegmenterTrainConfig& c, const std::string& arm) const {
    // train_segmenter resumes by itself after its last finished epoch.
    const auto r =
        downstream::train_segmenter(c, path(arm + "/segmenter"), o_.device,
                                    [&](const std::string& line) { log(arm + ": " + line); });
    core::write_file_atomic(
        path(arm + "/segmenter/best.json"),
        nlohmann::json({{"epoch", r.best_epoch}, {"val_mIoU", r.best_miou}}).dump() + "\n");
  }

  std::string best_checkpoint(const std::string& arm) const {
    return demo::best_checkpoint(o_, arm);
  }

  ArmContext arm_context(const std::string& arm) const {
    ArmContext ctx;
    ctx.generator = o_.generator;
    ctx.labels = o_.labels;
    ctx.seed = o_.seed;
    ctx.steps = s_.pseudo_label_steps;
    ctx.annotator_channels = s_.annotator_channels;
    ctx.members = s_.ensemble_members;
    ctx.device = o_.device;
    ctx.out = path(arm);
    ctx.progress = [this, arm](const std::string& line) { log(arm + ": " + line); };
    return ctx;
  }

  // The comparison arms the options ask for, on the demo's data and downstream budget.
  void comparison_arms(const std::string& data) {
    // Under Table 1's protocol the labelled set is already the oracle's generated images.
    const bool generated = o_.labelled_source == LabelledSource::kGenerated;
    const std::string generated_labels =
        path(generated ? "data/labelled" : "data/labelled_generated");
    if (runs_arm(o_, "supervised") || runs_arm(o_, "datasetgan"))
      stages_.run("label_generated", [&] { label_generated_images(generated_labels); });
    auto run_arm = [&](const std::string& arm, const std::function<void()>& fn) {
      if (runs_arm(o_, arm)) stages_.run(arm, fn);
    };
    auto route = [&](const std::string& arm, const std::string& run, double keep_top) {
      measure_annotator(run, arm, false);
      synthesize(run, arm, false, keep_top);
      train_segmenter(route_segmenter_config(o_, s_, arm), arm);
    };
    run_arm("matching_alone", [&] {
      const std::string run =
          train_phase_one(matching_alone_config(o_, s_, data), "matching_alone");
      route_with_calibration(run, "matching_alone");
    });
    run_arm("supervised", [&] {
      route("supervised",
            fit_supervised_arm(arm_context("supervised"), generated_labels,
                               baselines::SupervisedArch::kFpn),
            1.0);
    });
    // DatasetGAN makes more images and drops the 10 % its members disagree on most.
    run_arm("datasetgan", [&] {
      route("datasetgan",
            fit_supervised_arm(arm_context("datasetgan"), generated_labels,
                               baselines::SupervisedArch::kMlpEnsemble),
            0.9);
    });
    run_arm("inversion", [&] {
      route("inversion",
            fit_inversion_arm(arm_context("inversion"), data + "/labelled", s_.projector_steps),
            1.0);
    });
    // The semi-supervised arms: the N labels and unlabelled photo renders, disjoint from every
    // other set.
    if (runs_arm(o_, "mean_teacher") || runs_arm(o_, "adversarial_ssl"))
      stages_.run("render_unlabelled", [&] {
        render(data + "/unlabelled", toy::Style::kPhoto, kUnlabelledSeeds, s_.synthesized);
      });
    run_arm("mean_teacher", [&] {
      train_segmenter(
          semi_supervised_config(o_, s_, downstream::SemiSupervisedMethod::kMeanTeacher),
          "mean_teacher");
    });
    run_arm("adversarial_ssl", [&] {
      train_segmenter(
          semi_supervised_config(o_, s_, downstream::SemiSupervisedMethod::kAdversarial),
          "adversarial_ssl");
    });
    run_arm("maml", [&] {
      auto c = gradient_matching_config(o_, s_, data);
      c.learner = matching::Learner::kMaml;
      c.precision = train::Precision::kExact;  // the unrolled learner runs in float32
      c.unrolled = {1, s_.maml_inner_lr};
      route_with_calibration(train_phase_one(c, "maml"), "maml");
    });
  }

  // A phase-I annotator's route, with gradient matching's prior calibration at synthesis.
  void route_with_calibration(const std::string& run, const std::string& arm) const {
    measure_annotator(run, arm, s_.calibrate_priors);
    synthesize(run, arm, s_.calibrate_priors);
    train_segmenter(route_segmenter_config(o_, s_, arm), arm);
  }

  std::string learn_annotator_by_gradient_matching(const std::string& data) const {
    return train_phase_one(gradient_matching_config(o_, s_, data), "gradient_matching");
  }

  std::string train_phase_one(const matching::AnnotatorTrainConfig& c,
                              const std::string& arm) const {
    const std::string parent = path(arm + "/annotator");
    fs::remove_all(parent);  // an unfinished phase I starts over (the stage marker was not written)
    const auto r = matching::train_annotator(
        c, parent, o_.device, [&](const std::string& line) { log(arm + ": " + line); });
    return r.run_dir;
  }

  /// Pseudo-labelling: the labeller arm's best U-Net labels generated images, an annotator is
  /// fitted to its labels, then plain arg-max synthesis and the downstream U-Net.
  void pseudo_label(const std::string& labeller_arm, const std::string& arm) {
    auto labeller = annotator::load_segmenter(best_checkpoint(labeller_arm));
    baselines::PseudoLabelOptions p;
    p.generator = o_.generator;
    p.steps = s_.pseudo_label_steps;
    p.tmp_channels = s_.annotator_channels;
    p.seed = o_.seed;
    const std::string run = path(arm + "/annotator");
    fs::remove_all(run);
    baselines::fit_annotator_to_labeller(p, *labeller.segmenter, class_names_, run, o_.device,
                                         progress_);
    measure_annotator(run, arm, false);
    synthesize(run, arm, false);
    train_segmenter(route_segmenter_config(o_, s_, arm), arm);
  }

  /// The annotator's labels on generated images against the oracle's, as synthesis will make them.
  void measure_annotator(const std::string& run_dir, const std::string& arm, bool calibrate) const {
    auto oracle = annotator::load_segmenter(best_checkpoint("oracle"));
    oracle.segmenter->module().to(o_.device);
    synth::AnnotatorQualityOptions q;
    q.run_dir = run_dir;
    q.num = s_.quality_images;
    q.calibrate_priors = calibrate;
    q.device = o_.device;
    const auto quality = synth::measure_annotator_quality(q, *oracle.segmenter, oracle.class_names);
    core::write_file_atomic(path(arm + "/annotator_quality.json"),
                            quality.to_json().dump(1) + "\n");
    char line[160];
    std::snprintf(line, sizeof line,
                  "%s: annotator vs oracle on %lld generated images: FG-mIoU %.1f", arm.c_str(),
                  static_cast<long long>(q.num), 100 * quality.vs_oracle.fg_mean_iou);
    log(line);
  }

  /// `keep_top` < 1: that fraction of more images is kept (by the synthesis filter), so that every
  /// arm trains on about as many.
  void synthesize(const std::string& run_dir, const std::string& arm, bool calibrate,
                  double keep_top = 1.0) const {
    synth::SynthesizeOptions so;
    so.keep_top = keep_top;
    so.calibrate_priors = calibrate;
    so.run_dir = run_dir;
    so.snapshot = "best";
    so.num = static_cast<int64_t>(std::ceil(static_cast<double>(s_.synthesized) / keep_top));
    so.out = path(arm + "/synthesized");
    so.seed_base = 5000000 + o_.seed;
    so.truncation_psi = s_.synthesis_psi;
    so.precision = o_.precision;
    so.device = o_.device;
    synth::synthesize(so, [&](const std::string& line) { log(arm + ": " + line); });
  }

  DemoOptions o_;
  DemoSettings s_;
  ProgressFn progress_;
  std::vector<std::string> class_names_;
  Stages stages_{o_.out, progress_};
};

}  // namespace

DemoResult run_demo(const DemoOptions& options, const ProgressFn& progress) {
  check_demo_options(options);
  return Demo(options, progress).run();
}

}  // namespace lagm::demo

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
// (train-gan renders seeds 100,000,000 and up).
constexpr uint64_t kLabelledSeeds = 0, kValidationSeeds = 1000000, kTestSeeds = 2000000,
                   kOracleSeeds = 3000000;

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
      render(data + "/labelled", o_.labelled_style, kLabelledSeeds + 1000 * o_.seed, o_.labels);
      render(data + "/validation", o_.labelled_style, kValidationSeeds, s_.validation);
      render(data + "/test", toy::Style::kPhoto, kTestSeeds, s_.test);
      render(data + "/oracle", toy::Style::kPhoto, kOracleSeeds, s_.oracle);
    });
    // 2. Few labels: a U-Net on the N images with strong augmentation, as many steps as the others.
    stages_.run("few_label", [&] { train_segmenter(few_label_config(), "few_label"); });
    // 3. Oracle: a U-Net on many labelled photos; it also judges the annotators' labels.
    stages_.run("oracle", [&] { train_segmenter(segmenter_config(data + "/oracle"), "oracle"); });
    // 4. Pseudo-labelling: the few-label U-Net labels generated images, an annotator fits them
    //    (plain arg-max synthesis: its labels come from a network trained on the N labels).
    stages_.run("pseudo_label", [&] { pseudo_label("few_label", "pseudo_label"); });
    // 5. Gradient matching: annotator (phase I), synthesis, downstream U-Net (phase II); with
    //    init_from_pseudo_label, A starts from the pseudo-labelling annotator of stage 4.
    stages_.run("gradient_matching", [&] {
      const std::string run = learn_annotator_by_gradient_matching(data);
      measure_annotator(run, "gradient_matching", s_.calibrate_priors);
      synthesize(run, "gradient_matching", s_.calibrate_priors);
      train_segmenter(route_segmenter_config("gradient_matching"), "gradient_matching");
    });
  }

  // The arms the options add; returns the route arms (generator -> annotator -> synthesis).
  std::vector<std::string> run_optional_arms(const std::string& data) {
    // 6. Optional: the route's ceiling, the same with the oracle as the labeller.
    if (o_.route_ceiling)
      stages_.run("oracle_pseudo_label", [&] { pseudo_label("oracle", "oracle_pseudo_label"); });
    std::vector<std::string> route_arms = {"gradient_matching", "pseudo_label"};
    if (o_.route_ceiling) route_arms.push_back("oracle_pseudo_label");
    // 6b. Optional: the paper's comparison arms, on the same data and downstream budget.
    if (o_.all_arms) {
      comparison_arms(data);
      for (const char* arm : kComparisonArms) route_arms.emplace_back(arm);
    }
    // 7. Optional: each route arm's U-Net fine-tuned on the N labels.
    if (s_.finetune_lr > 0)
      for (const auto& arm : route_arms) stages_.run(arm + "_finetuned", [&] { finetune(arm); });
    // 8. Optional: each route arm's U-Net trained on its synthesized set alone.
    if (synthetic_only_rows())
      for (const auto& arm : route_arms)
        stages_.run(arm + "_synthetic_only", [&] {
          train_segmenter(segmenter_config(path(arm + "/synthesized")), arm + "_synthetic_only");
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
    if (o_.all_arms)
      arms.insert(arms.end(), std::begin(kComparisonArms), std::end(kComparisonArms));
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

  std::string path(const std::string& rel) const { return (fs::path(o_.out) / rel).string(); }
  void log(const std::string& line) const {
    if (progress_) progress_(line);
  }

  void render(const std::string& dir, toy::Style style, uint64_t first_seed, int64_t count) const {
    render_set(dir, style, first_seed, count, s_.resolution, progress_);
  }

  downstream::SegmenterTrainConfig segmenter_config(const std::string& train_dir) const {
    downstream::SegmenterTrainConfig c;
    c.data.path = train_dir;
    c.validation.path = path("data/validation");
    c.segmenter = {{"arch", "unet"}, {"base_channels", s_.segmenter_channels}};
    c.epochs = s_.epochs;
    c.batch = s_.batch;
    c.lr = 1e-3;
    c.class_balance_power = s_.downstream_class_balance;
    c.seed = o_.seed;
    return c;
  }

  /// The few-label recipe: the N images with strong augmentation, as many steps per epoch as the
  /// synthesized sets give the other arms.
  downstream::SegmenterTrainConfig few_label_config() const {
    auto c = segmenter_config(path("data/labelled"));
    c.flip = c.scale_crop = c.color_jitter = true;
    c.samples_per_epoch = s_.synthesized;
    return c;
  }

  /// The arm's best downstream U-Net trained on further with the few-label recipe.
  void finetune(const std::string& arm) const {
    auto c = few_label_config();
    c.init = best_checkpoint(arm);
    c.lr = s_.finetune_lr;
    train_segmenter(c, arm + "_finetuned");
  }

  /// A route arm's downstream training: its synthesized set, with the N labels mixed into every
  /// batch unless mixing is off.
  downstream::SegmenterTrainConfig route_segmenter_config(const std::string& arm) const {
    auto c = segmenter_config(path(arm + "/synthesized"));
    if (s_.mix_labels > 0) {
      c.mix_data.path = path("data/labelled");
      c.mix_per_batch = s_.mix_labels;
    }
    return c;
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
    const auto j = nlohmann::json::parse(core::read_file(path(arm + "/segmenter/best.json")));
    char name[40];
    std::snprintf(name, sizeof name, "segmenter-%03lld.safetensors",
                  static_cast<long long>(j.at("epoch").get<int64_t>()));
    return path(arm + "/segmenter/" + name);
  }

  static constexpr const char* kComparisonArms[] = {"supervised", "datasetgan", "inversion",
                                                    "maml"};

  void comparison_arms(const std::string& data) {
    ArmContext ctx;
    ctx.generator = o_.generator;
    ctx.labels = o_.labels;
    ctx.seed = o_.seed;
    ctx.steps = s_.pseudo_label_steps;
    ctx.annotator_channels = s_.annotator_channels;
    ctx.members = s_.ensemble_members;
    ctx.device = o_.device;
    auto arm_context = [&](const std::string& arm) {
      auto c = ctx;
      c.out = path(arm);
      c.progress = [this, arm](const std::string& line) { log(arm + ": " + line); };
      return c;
    };
    // N generated images labelled by the oracle: the person of DatasetGAN's protocol.
    const std::string generated_labels = path("data/labelled_generated");
    stages_.run("label_generated", [&] {
      fs::remove_all(generated_labels);
      auto oracle = annotator::load_segmenter(best_checkpoint("oracle"));
      write_labelled_generated_images(ctx, *oracle.segmenter, class_names_, generated_labels);
    });
    auto route = [&](const std::string& arm, const std::string& run, double keep_top) {
      measure_annotator(run, arm, false);
      synthesize(run, arm, false, keep_top);
      train_segmenter(route_segmenter_config(arm), arm);
    };
    stages_.run("supervised", [&] {
      route("supervised", fit_supervised_arm(arm_context("supervised"), generated_labels, "fpn"),
            1.0);
    });
    // DatasetGAN makes more images and drops the 10 % its members disagree on most.
    stages_.run("datasetgan", [&] {
      route("datasetgan",
            fit_supervised_arm(arm_context("datasetgan"), generated_labels, "mlp_ensemble"), 0.9);
    });
    stages_.run("inversion", [&] {
      route("inversion",
            fit_inversion_arm(arm_context("inversion"), data + "/labelled", s_.projector_steps),
            1.0);
    });
    stages_.run("maml", [&] {
      auto c = gradient_matching_config(data);
      c.learner = matching::Learner::kMaml;
      c.precision = train::Precision::kExact;  // the unrolled learner runs in float32
      c.unrolled = {1, s_.maml_inner_lr};
      const std::string run = train_phase_one(c, "maml");
      measure_annotator(run, "maml", s_.calibrate_priors);
      synthesize(run, "maml", s_.calibrate_priors);
      train_segmenter(route_segmenter_config("maml"), "maml");
    });
  }

  std::string learn_annotator_by_gradient_matching(const std::string& data) const {
    return train_phase_one(gradient_matching_config(data), "gradient_matching");
  }

  std::string train_phase_one(const matching::AnnotatorTrainConfig& c,
                              const std::string& arm) const {
    const std::string parent = path(arm + "/annotator");
    fs::remove_all(parent);  // an unfinished phase I starts over (the stage marker was not written)
    const auto r = matching::train_annotator(
        c, parent, o_.device, [&](const std::string& line) { log(arm + ": " + line); });
    return r.run_dir;
  }

  matching::AnnotatorTrainConfig gradient_matching_config(const std::string& data) const {
    matching::AnnotatorTrainConfig c;
    c.generator = o_.generator;
    c.segmenter = {{"arch", "unet"}, {"base_channels", s_.gm_segmenter_channels}};
    c.annotator_tmp_channels = s_.annotator_channels;
    c.gm_params = matching::resolve_gm_params_regex(s_.gm_params);
    c.annotator_optimizer.kind = c.segmenter_optimizer.kind = train::OptimizerKind::kAdam;
    c.annotator_optimizer.lr = s_.gm_lr;
    c.segmenter_optimizer.lr = s_.gm_segmenter_lr;
    if (s_.init_from_pseudo_label)
      c.annotator_init = annotator::latest_snapshot(path("pseudo_label/annotator"));
    if (s_.gm_pseudo_label_weight > 0) {
      c.pseudo_labeller = best_checkpoint("few_label");
      c.pseudo_label_weight = s_.gm_pseudo_label_weight;
    }
    c.matcher.magnitude_weight = s_.magnitude_weight;
    c.annotator_ema = s_.annotator_ema;
    c.class_balance_power = s_.class_balance_power;
    c.batch = 2;
    if (s_.all_labels) c.label_batch = o_.labels;
    c.label_augment = s_.label_augment;
    c.label_loss_weight = s_.label_loss_weight;
    c.total_iters = s_.gm_steps;
    c.niter_per_tick = 10;
    c.precision = o_.precision;
    c.snapshot_ticks = std::max<int64_t>(1, s_.gm_steps / 40);  // validate ~4 times
    c.seed = o_.seed;
    c.training_set.path = data + "/labelled";
    c.validation_set.path = data + "/validation";
    c.run_name = "gm";
    return c;
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
    train_segmenter(route_segmenter_config(arm), arm);
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

#include "lagm/synth/synthesize.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>

#include "lagm/annotator/annotator_snapshot.h"
#include "lagm/annotator/prior_calibration.h"
#include "lagm/annotator/transform_pipe.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/core/memory_budget.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/io/folder_lock.h"
#include "lagm/io/folder_settings.h"
#include "lagm/io/image.h"
#include "lagm/io/run_directory.h"
#include "lagm/matching/annotator_train_config.h"
#include "lagm/models/annotator_mlp_ensemble.h"
#include "lagm/models/feature_generator.h"
#include "lagm/train/precision.h"

namespace lagm::synth {

const char* rank_by_name(RankBy rank_by) {
  return rank_by == RankBy::kUncertainty ? "uncertainty" : "confidence";
}

RankBy parse_rank_by(const std::string& name) {
  for (auto rank_by : {RankBy::kConfidence, RankBy::kUncertainty})
    if (name == rank_by_name(rank_by)) return rank_by;
  throw SettingError("rank_by", "must be confidence or uncertainty, got '" + name + "'");
}
namespace fs = std::filesystem;

std::string resolve_snapshot(const std::string& run_dir, const std::string& which) {
  if (which == "latest") {
    auto s = annotator::latest_snapshot(run_dir);
    if (s.empty()) throw InputError(run_dir + ": no snapshots");
    return s;
  }
  if (which == "best") {
    const fs::path best = fs::path(run_dir) / "best.json";
    if (!fs::exists(best))
      return resolve_snapshot(run_dir, "latest");  // no validation set: the last one
    const auto j = nlohmann::json::parse(core::read_file(best.string()), nullptr, false);
    if (j.is_discarded() || !j.contains("snapshot"))
      throw InputError(best.string() + ": malformed");
    return (fs::path(run_dir) / j["snapshot"].get<std::string>()).string();
  }
  size_t used = 0;
  long long it = -1;
  try {
    it = std::stoll(which, &used);
  } catch (const std::exception&) {
  }
  if (used != which.size() || it < 0)
    throw SettingError("snapshot", "'" + which + "': expected best, latest or an iteration");
  auto path = annotator::snapshot_path(run_dir, it);
  if (!fs::exists(path)) throw InputError(path + ": no such snapshot");
  return path;
}

std::unique_ptr<models::FeatureGenerator> load_snapshot_generator(
    const annotator::Snapshot& snap, const std::string& override_path,
    const models::Annotator& annotator, torch::Device device) {
  const auto& provenance = snap.info.provenance;
  const std::string path = override_path.empty() ? provenance.generator : override_path;
  if (path.empty())
    throw InputError(snap.tensors.source + ": no generator recorded; give one with --generator");
  auto g = models::load_feature_generator(path, device);
  g->sampling() = provenance.sampling;
  if (g->feature_shapes() != annotator.input_shapes())
    throw InputError(path + ": its feature shapes do not fit the annotator of " +
                     snap.tensors.source);
  return g;
}

bool snapshot_wide_crop(const annotator::Snapshot& snap, bool requested) {
  const auto recorded = snap.info.provenance.wide_crop;
  if (!recorded) return requested;  // e.g. a pseudo-labelling annotator: no crop recorded
  const bool trained = *recorded;
  if (requested && !trained)
    throw InputError(
        snap.tensors.source +
        ": its annotator was trained on whole square images; --wide-crop does not apply");
  return trained;
}

std::vector<double> labelled_class_frequencies(const annotator::Snapshot& snap) {
  if (!snap.info.labelled_class_frequencies.empty()) return snap.info.labelled_class_frequencies;
  const auto& training_set = snap.info.provenance.training_set;
  if (!training_set) return {};  // e.g. a pseudo-labelling annotator
  auto labelled =
      data::open_labelled_dataset(*training_set, snap.tensors.source + ": run.training_set");
  std::vector<size_t> all(labelled->size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const auto masks = data::load_batch(*labelled, all).second;
  return annotator::class_frequencies(masks, static_cast<int64_t>(snap.info.class_names.size()));
}

std::vector<double> fit_prior_offsets(models::FeatureGenerator& g, models::Annotator& annotator,
                                      const std::vector<double>& target, int64_t num_images,
                                      bool wide_crop, torch::Device device) {
  if (target.empty())
    throw InputError("prior calibration needs the labelled set's class frequencies");
  torch::NoGradGuard no_grad;
  annotator->eval();
  constexpr int64_t kPixelsPerImage = 4096;
  {
    // The sampled pixels' logits, held to the end and concatenated once (twice the bytes).
    const auto last = g.feature_shapes().back();
    const double pixels = static_cast<double>(std::min(last[1] * last[2], kPixelsPerImage));
    const double classes = static_cast<double>(target.size());
    core::require_memory(
        2 * static_cast<double>(num_images) * pixels * classes * sizeof(float),
        "prior calibration over --calibration-images " + std::to_string(num_images),
        std::to_string(static_cast<int64_t>(pixels)) + " pixels x " +
            std::to_string(target.size()) + " class logits per image");
  }
  std::vector<torch::Tensor> pixels;
  for (int64_t j = 0; j < num_images; ++j) {
    torch::manual_seed(kCalibrationSeed + static_cast<uint64_t>(j));
    auto batch = g.generate(torch::randn({1, g.z_dim()}).to(device));
    auto logits = annotator.forward(batch.features).to(torch::kCPU, torch::kFloat32);
    if (wide_crop) logits = annotator::wide_crop(logits);
    auto flat = logits[0].reshape({logits.size(1), -1}).t();  // [H*W, K]
    if (flat.size(0) > kPixelsPerImage)
      flat = flat.index_select(0, torch::randperm(flat.size(0)).narrow(0, 0, kPixelsPerImage));
    pixels.push_back(flat);
  }
  return annotator::fit_logit_offsets(torch::cat(pixels), target);
}

namespace {

std::string sample_name(int64_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(i));
  return name;
}

// Writes dataset.json once every image exists: classes, counts, confidences and the filter.
bool finalize(const SynthesizeOptions& o, RankBy rank_by, const annotator::Snapshot& snap,
              const std::string& generator_path, const models::SamplingOptions& sampling,
              bool wide_crop, const std::vector<double>& offsets) {
  const int64_t k = static_cast<int64_t>(snap.info.class_names.size());
  std::vector<int64_t> pixel_counts(k, 0), image_counts(k, 0);
  std::vector<std::pair<double, int64_t>> by_confidence;
  nlohmann::json per_image = nlohmann::json::array();
  for (int64_t i = 0; i < o.num; ++i) {
    const fs::path meta = fs::path(o.out) / "meta" / (sample_name(i) + ".json");
    if (!fs::exists(meta)) return false;
    const auto m = nlohmann::json::parse(core::read_file(meta.string()));
    const auto counts = m.at("pixels_per_class").get<std::vector<int64_t>>();
    for (int64_t c = 0; c < k; ++c) pixel_counts[c] += counts[c], image_counts[c] += counts[c] > 0;
    // Ranked highest first: confidence, or minus the ensemble's uncertainty.
    by_confidence.emplace_back(rank_by == RankBy::kUncertainty ? -m.at("uncertainty").get<double>()
                                                               : m.at("confidence").get<double>(),
                               i);
    per_image.push_back(m);
  }
  // Stable order: most confident first, ties by index, so the kept set does not depend on timing.
  std::stable_sort(by_confidence.begin(), by_confidence.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  const int64_t keep_n =
      static_cast<int64_t>(std::ceil(o.keep_top * static_cast<double>(o.num) - 1e-9));
  std::vector<std::string> kept;
  for (int64_t r = 0; r < keep_n && r < o.num; ++r) {
    const auto& m = per_image[static_cast<size_t>(by_confidence[r].second)];
    if (m.at("confidence").get<double>() >= o.min_confidence)
      kept.push_back(sample_name(by_confidence[r].second));
  }
  std::sort(kept.begin(), kept.end());
  nlohmann::json info = {{"classes", snap.info.class_names},
                         {"num_images", o.num},
                         {"samples", kept},
                         {"generator", fs::path(generator_path).filename().string()},
                         {"annotator_snapshot", fs::path(snap.tensors.source).filename().string()},
                         {"annotator_iteration", snap.info.iteration},
                         {"seed_base", o.seed_base},
                         {"confidence_threshold", o.confidence_threshold},
                         {"keep_top", o.keep_top},
                         {"rank_by", rank_by_name(rank_by)},
                         {"min_confidence", o.min_confidence},
                         {"wide_crop", wide_crop},
                         {"calibrate_priors", o.calibrate_priors},
                         {"precision", train::precision_name(o.precision)},
                         {"pixels_per_class", pixel_counts},
                         {"images_per_class", image_counts},
                         {"images", per_image}};
  info.update(models::to_json(sampling));
  if (!offsets.empty()) info["logit_offsets"] = offsets;
  data::write_dataset_json(o.out, info);
  return true;
}

}  // namespace

namespace {

void check_options(const SynthesizeOptions& o) {
  if (o.num < 1) throw SettingError("num", "must be >= 1");
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
    throw SettingError("shard", "k/n needs 0 <= k < n");
  if (!(o.keep_top > 0 && o.keep_top <= 1)) throw SettingError("keep_top", "must be in (0, 1]");
  if (o.truncation_psi &&
      !(std::isfinite(*o.truncation_psi) && *o.truncation_psi >= 0 && *o.truncation_psi <= 2))
    throw SettingError("truncation_psi", "must be a finite number in [0, 2]");
  if (o.calibrate_priors && o.calibration_images < 1)
    throw SettingError("calibration_images", "must be >= 1");
}

// One synthesized image: its 8-bit pixels and labels and its meta record.
struct LabelledImage {
  torch::Tensor img8, label8;
  nlohmann::json meta;
};

// One synthesis into a folder: the snapshot's annotator over its generator, image by image.
class SynthesisRun {
 public:
  SynthesisRun(const SynthesizeOptions& o, ProgressFn progress)
      : o_(o),
        progress_(std::move(progress)),
        snapshot_path_(resolve_snapshot(o.run_dir, o.snapshot)),
        snap_(annotator::read_snapshot(snapshot_path_)),
        annotator_(annotator::load_snapshot_annotator(snap_)) {
    annotator_->to(o.device);
    generator_path_ = o.generator.empty() ? snap_.info.provenance.generator : o.generator;
    g_ = load_snapshot_generator(snap_, o.generator, annotator_, o.device);
    if (o.truncation_psi) g_->sampling().truncation_psi = *o.truncation_psi;
    wide_crop_ = snapshot_wide_crop(snap_, o.wide_crop);
    ensemble_ = static_cast<bool>(annotator_.ensemble());
    bf16_ = o.precision == train::Precision::kBf16;
    if (bf16_) train::to_channels_last(annotator_.module());
    g_->set_bfloat16(bf16_);
    rank_by_ = o.rank_by.value_or(ensemble_ ? RankBy::kUncertainty : RankBy::kConfidence);
    if (rank_by_ == RankBy::kUncertainty && !ensemble_)
      throw SettingError("rank_by", "uncertainty needs an mlp_ensemble annotator; " +
                                        snapshot_path_ + " holds one network");
  }

  SynthesizeResult run() {
    SynthesizeResult result;
    result.snapshot = snapshot_path_;
    if (o_.calibrate_priors) calibrate();
    claim_folder();
    const int64_t begin = o_.num * o_.shard_index / o_.shard_count,
                  end = o_.num * (o_.shard_index + 1) / o_.shard_count;
    core::create_folder_inside(o_.out, "meta");
    torch::NoGradGuard no_grad;
    const auto start = std::chrono::steady_clock::now();
    // Image i's files are encoded and written while image i + 1 is computed (one at a time, in
    // order; meta last, so an interrupted run still finds only complete images).
    std::future<void> writing;
    for (int64_t i = begin; i < end; ++i) {
      const std::string name = sample_name(i);
      const fs::path meta = fs::path(o_.out) / "meta" / (name + ".json");
      // meta is written last, so its presence means the image and the mask are complete.
      if (fs::exists(meta)) {
        ++result.already_present;
        continue;
      }
      auto image = label_image(i);
      if (writing.valid()) writing.get();  // rethrows a failed write
      writing = std::async(std::launch::async, [this, name, image = std::move(image), meta] {
        data::write_folder_sample(o_.out, name, image.img8, image.label8);
        core::write_file_atomic(meta.string(), image.meta.dump() + "\n");
      });
      ++result.written;
      if (progress_ && (result.written % 50 == 0 || i + 1 == end))
        report(result.written, i + 1 - begin, end - begin, start);
    }
    if (writing.valid()) writing.get();
    result.complete =
        finalize(o_, rank_by_, snap_, generator_path_, g_->sampling(), wide_crop_, offsets_);
    return result;
  }

 private:
  // Deterministic (own seeds), so a resumed or sharded run computes the same offsets.
  void calibrate() {
    const auto target = labelled_class_frequencies(snap_);
    if (target.empty())
      throw InputError(snapshot_path_ +
                       ": no labelled set recorded; prior calibration needs its class frequencies");
    offsets_ =
        fit_prior_offsets(*g_, annotator_, target, o_.calibration_images, wide_crop_, o_.device);
    if (!progress_) return;
    std::string line = "prior calibration: logit offsets";
    for (double b : offsets_) line += " " + std::to_string(b).substr(0, 6);
    progress_(line);
  }

  // What decides the images and masks: a rerun completes the folder only with the same.
  void claim_folder() const {
    nlohmann::json settings = {
        {"run", fs::weakly_canonical(fs::absolute(o_.run_dir)).string()},
        {"snapshot", fs::path(snapshot_path_).filename().string()},
        {"annotator_iteration", snap_.info.iteration},
        {"generator", fs::weakly_canonical(fs::absolute(generator_path_)).string()},
        {"seed_base", o_.seed_base},
        {"confidence_threshold", o_.confidence_threshold},
        {"wide_crop", wide_crop_},
        {"calibrate_priors", o_.calibrate_priors},
        {"calibration_images", o_.calibrate_priors ? o_.calibration_images : 0},
        {"precision", train::precision_name(o_.precision)}};
    settings.update(models::to_json(g_->sampling()));
    io::claim_folder_settings(o_.out, "synthesis.json", settings);
  }

  // Image i and its labels; it depends on its seed only: latent and noise are drawn right after
  // seeding.
  LabelledImage label_image(int64_t i) {
    torch::manual_seed(o_.seed_base + static_cast<uint64_t>(i));
    auto z = torch::randn({1, g_->z_dim()}).to(o_.device);
    auto batch = g_->generate_for_autocast(z);  // A reads the features under autocast only
    torch::Tensor logits, member_logits;
    {
      const train::Bf16Autocast autocast(bf16_, o_.device);
      const auto as_float = [this](const torch::Tensor& t) {
        return bf16_ ? t.to(torch::kFloat32) : t;  // what ran in bfloat16 back to float32
      };
      logits = as_float(annotator_.forward(batch.features));
      if (ensemble_) member_logits = as_float(annotator_.ensemble()->member_logits(batch.features));
    }
    auto probs = torch::softmax(annotator::apply_logit_offsets(logits, offsets_), 1).cpu();
    c10::optional<double> uncertainty;
    if (ensemble_) uncertainty = ensemble_uncertainty(member_logits, probs.size(1));
    auto img = batch.img;
    if (wide_crop_) probs = annotator::wide_crop(probs), img = annotator::wide_crop(img);
    auto [conf, label] = probs.max(1);
    const int64_t k = probs.size(1);
    auto counts = torch::bincount(label.reshape(-1), {}, k);
    LabelledImage out{io::quantize_generated(img)[0].cpu(), label[0].to(torch::kUInt8).cpu(), {}};
    out.meta = {{"id", sample_name(i)},
                {"seed", o_.seed_base + static_cast<uint64_t>(i)},
                {"confidence", conf.mean().item<double>()},
                {"uncertain_fraction",
                 (conf < o_.confidence_threshold).to(torch::kFloat64).mean().item<double>()},
                {"pixels_per_class",
                 std::vector<int64_t>(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + k)}};
    if (uncertainty) out.meta["uncertainty"] = *uncertainty;
    return out;
  }

  // The members' disagreement (DatasetGAN's filter), on the pixels that are written.
  double ensemble_uncertainty(const torch::Tensor& member_logits, int64_t classes) const {
    auto member_probs = torch::softmax(member_logits, 2);
    if (wide_crop_) member_probs = annotator::wide_crop(member_probs.flatten(0, 1));
    const auto js = models::ensemble_js_divergence(
        member_probs.reshape({annotator_.ensemble()->options.members(), -1, classes,
                              member_probs.size(-2), member_probs.size(-1)}));
    return models::image_uncertainty(js).item<double>();
  }

  void report(int64_t written, int64_t done, int64_t total,
              std::chrono::steady_clock::time_point start) const {
    const double sec =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = static_cast<double>(written) / std::max(sec, 1e-9);
    char line[200];
    std::snprintf(line, sizeof line, "synthesized %lld/%lld  %.2f images/s  ETA %s",
                  static_cast<long long>(done), static_cast<long long>(total), rate,
                  io::format_duration(static_cast<double>(total - done) / rate).c_str());
    progress_(line);
  }

  const SynthesizeOptions& o_;
  const ProgressFn progress_;
  const std::string snapshot_path_;
  const annotator::Snapshot snap_;
  models::Annotator annotator_;
  std::string generator_path_;
  std::unique_ptr<models::FeatureGenerator> g_;
  bool wide_crop_ = false, ensemble_ = false, bf16_ = false;
  RankBy rank_by_ = RankBy::kConfidence;
  std::vector<double> offsets_;
};

}  // namespace

SynthesizeResult synthesize(const SynthesizeOptions& o, const ProgressFn& progress) {
  check_options(o);
  // Shards write disjoint images into one folder on purpose; the same shard twice must not.
  const io::FolderLock lock(o.out, ".lock-shard-" + std::to_string(o.shard_index) + "-of-" +
                                       std::to_string(o.shard_count));
  return SynthesisRun(o, progress).run();
}

}  // namespace lagm::synth

#include "lagm/predict/predict.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/core/fingerprint.h"
#include "lagm/io/folder_lock.h"
#include "lagm/io/image.h"
#include "lagm/io/npy.h"
#include "lagm/io/resize.h"
#include "lagm/predict/input_images.h"
#include "lagm/predict/label_upsampling.h"
#include "lagm/predict/overlay.h"
#include "lagm/predict/prediction_report.h"
#include "lagm/train/rate_meter.h"

namespace lagm::predict {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxBatch = 4096, kMaxRes = 8192;

// The outputs of one image.
struct ImageOutputs {
  std::string mask, overlay, probs;  // relative to the output folder; empty = not asked for
};

ImageOutputs outputs_of(const InputImage& image, const PredictOptions& o) {
  return {"masks/" + image.name + ".png", o.overlay ? "overlays/" + image.name + ".png" : "",
          o.probs ? "probs/" + image.name + ".npy" : ""};
}

bool finished(const ImageOutputs& outputs, const fs::path& out) {
  for (const auto& f : {outputs.mask, outputs.overlay, outputs.probs})
    if (!f.empty() && !fs::is_regular_file(out / f)) return false;
  return true;
}

// The settings that decide what a mask holds: a rerun into the folder must share them.
nlohmann::json prediction_settings(const annotator::LoadedSegmenter& model,
                                   const std::string& model_path, int64_t height, int64_t width) {
  return {{"model", model_path},
          {"model_fingerprint", core::file_fingerprint(model_path)},
          {"classes", model.description.class_names},
          {"input", height > 0 ? nlohmann::json{{"height", height}, {"width", width}}
                               : nlohmann::json("each image's own size")},
          {"resize", model.description.resize},
          {"normalization", model.description.normalization},
          {"labels_to_image_size", "bilinear interpolation of the logits, then argmax"}};
}

// Refuses an output folder whose predictions.json records other settings.
void require_same_settings(const fs::path& summary, const nlohmann::json& settings) {
  if (!fs::exists(summary)) return;
  const auto recorded = nlohmann::json::parse(core::read_file(summary.string()), nullptr, false)
                            .value("settings", nlohmann::json());
  if (!recorded.is_object())
    throw InputError(summary.string() + ": not a predictions.json of lagm predict");
  for (const char* key : {"model_fingerprint", "input", "classes"})
    if (recorded.value(key, nlohmann::json()) != settings.at(key))
      throw UsageError(summary.parent_path().string() + ": holds predictions made with another " +
                       key + " (" + recorded.value(key, nlohmann::json()).dump() + " there, " +
                       settings.at(key).dump() + " now); predict into another --out");
}

nlohmann::json class_fractions(const torch::Tensor& mask, const std::vector<std::string>& names) {
  const auto counts =
      torch::bincount(mask.reshape(-1).to(torch::kInt64), {}, static_cast<int64_t>(names.size()));
  const double total = static_cast<double>(mask.numel());
  nlohmann::json fractions = nlohmann::json::object();
  for (size_t k = 0; k < names.size(); ++k)
    fractions[names[k]] =
        static_cast<double>(counts[static_cast<int64_t>(k)].item<int64_t>()) / total;
  return fractions;
}

class Predictor {
 public:
  Predictor(annotator::LoadedSegmenter& model, const std::string& model_path,
            const PredictOptions& o, torch::Device device, const ProgressFn& progress)
      : model_(model),
        model_path_(model_path),
        o_(o),
        out_(o.out),
        device_(device),
        progress_(progress) {
    const auto& d = model_.description;
    height_ = o.res > 0 ? o.res : d.input_height;
    width_ = o.res > 0 ? o.res : d.input_width;
    colors_ = d.palette;
  }

  PredictResult run() {
    io::FolderLock lock(out_.string());
    const auto images = collect_input_images(o_.images, out_.string());
    const auto settings = prediction_settings(model_, model_path_, height_, width_);
    const fs::path summary = out_ / "predictions.json";
    require_same_settings(summary, settings);
    if (height_ > 0 && !images.empty())
      model_.segmenter->require_memory_for(
          std::min<int64_t>(o_.batch, static_cast<int64_t>(images.size())), height_, width_, false);
    write_summary(summary, settings, images, false);
    std::vector<size_t> pending;
    for (size_t i = 0; i < images.size(); ++i)
      if (!finished(outputs_of(images[i], o_), out_)) pending.push_back(i);
    PredictResult r;
    r.images = static_cast<int64_t>(images.size());
    r.finished_before = r.images - static_cast<int64_t>(pending.size());
    if (progress_ && r.finished_before > 0)
      progress_(std::to_string(r.finished_before) + " of " + std::to_string(r.images) +
                " images already predicted in " + out_.string() + "; predicting the others");
    predict_pending(images, pending, r);
    records_.resize(images.size());
    for (size_t i = 0; i < images.size(); ++i)
      if (records_[i].is_null() && !bad_.count(i)) records_[i] = finished_record(images[i]);
    write_summary(summary, settings, images, true);
    if (o_.report) write_prediction_report(out_.string(), model_path_, records_);
    r.bad = static_cast<int64_t>(bad_.size());
    r.summary_path = summary.string();
    return r;
  }

 private:
  // Reads one image; an unreadable one is skipped and counted with skip_bad, else refused.
  torch::Tensor read(const InputImage& image, size_t index) {
    try {
      return io::read_image(image.path);
    } catch (const InputError& e) {
      if (!o_.skip_bad) throw;
      bad_[index] = e.what();
      if (progress_) progress_(std::string("skipped: ") + e.what());
      return {};
    }
  }

  void predict_pending(const std::vector<InputImage>& images, const std::vector<size_t>& pending,
                       PredictResult& r) {
    records_.resize(images.size());
    train::RateMeter meter(0, static_cast<int64_t>(pending.size()));
    auto last_report = std::chrono::steady_clock::now();
    std::vector<size_t> batch;
    std::vector<torch::Tensor> originals, inputs;
    int64_t held_bytes = 0;
    auto flush = [&] {
      if (batch.empty()) return;
      predict_batch(images, batch, originals, inputs);
      r.predicted += static_cast<int64_t>(batch.size());
      batch.clear(), originals.clear(), inputs.clear();
    };
    for (size_t n = 0; n < pending.size(); ++n) {
      const size_t i = pending[n];
      auto image = read(images[i], i);
      if (image.defined()) {
        auto input = height_ > 0 && (image.size(0) != height_ || image.size(1) != width_)
                         ? io::resize_pil(image, height_, width_)
                         : image;
        model_.segmenter->require_input_size(input.size(0), input.size(1), images[i].path);
        // Images of their own sizes (a model of unknown input size) batch only with their like.
        if (!inputs.empty() && input.sizes() != inputs.front().sizes()) flush();
        batch.push_back(i);
        originals.push_back(image);
        inputs.push_back(input);
        held_bytes += image.numel();
      }
      // A batch of large photos is flushed early: the originals it holds stay under ~256 MB.
      if (static_cast<int64_t>(batch.size()) >= o_.batch || held_bytes > (int64_t{1} << 28)) {
        flush();
        held_bytes = 0;
      }
      if (n + 1 == pending.size()) flush();
      meter.update(static_cast<int64_t>(n + 1));
      const auto now = std::chrono::steady_clock::now();
      if (progress_ && (n + 1 == pending.size() || now - last_report > std::chrono::seconds(2))) {
        last_report = now;
        char line[160];
        std::snprintf(line, sizeof line, "predicted %zu/%zu images  %.1f images/s  ETA %s", n + 1,
                      pending.size(), meter.units_per_second(), meter.eta_text().c_str());
        progress_(line);
      }
    }
  }

  void predict_batch(const std::vector<InputImage>& images, const std::vector<size_t>& batch,
                     const std::vector<torch::Tensor>& originals,
                     const std::vector<torch::Tensor>& inputs) {
    std::vector<torch::Tensor> floats;
    floats.reserve(inputs.size());
    for (const auto& x : inputs) floats.push_back(io::to_float_image(x));
    torch::Tensor logits;
    {
      torch::NoGradGuard no_grad;
      logits = model_.segmenter->forward(torch::stack(floats).to(device_))
                   .to(torch::kCPU, torch::kFloat);
    }
    for (size_t b = 0; b < batch.size(); ++b) {
      const auto& image = images[batch[b]];
      const auto outputs = outputs_of(image, o_);
      const auto& original = originals[b];
      const auto mask =
          upsampled_argmax(logits[static_cast<int64_t>(b)], original.size(0), original.size(1));
      if (!outputs.probs.empty()) {
        prepare(outputs.probs);
        io::write_npy((out_ / outputs.probs).string(),
                      torch::softmax(logits[static_cast<int64_t>(b)], 0).to(torch::kHalf));
      }
      if (!outputs.overlay.empty()) {
        prepare(outputs.overlay);
        io::write_png((out_ / outputs.overlay).string(),
                      overlay_with_legend(original, mask, model_.description.class_names, colors_));
      }
      // The mask last: its presence marks the image finished.
      prepare(outputs.mask);
      io::write_mask_png((out_ / outputs.mask).string(), mask, colors_, mask_text());
      records_[batch[b]] = record(image, outputs, mask);
    }
  }

  std::vector<std::pair<std::string, std::string>> mask_text() const {
    return {{"lagm:classes", nlohmann::json(model_.description.class_names).dump()},
            {"lagm:model", model_path_}};
  }

  void prepare(const std::string& relative) const {
    core::create_folder_inside(out_.string(), fs::path(relative).parent_path().string());
  }

  nlohmann::json record(const InputImage& image, const ImageOutputs& outputs,
                        const torch::Tensor& mask) const {
    nlohmann::json j = {{"image", image.path},
                        {"name", image.name},
                        {"height", mask.size(0)},
                        {"width", mask.size(1)},
                        {"mask", outputs.mask}};
    if (!outputs.overlay.empty()) j["overlay"] = outputs.overlay;
    if (!outputs.probs.empty()) j["probs"] = outputs.probs;
    j["class_fractions"] = class_fractions(mask, model_.description.class_names);
    return j;
  }

  // An image a previous run finished: its record from the mask it left.
  nlohmann::json finished_record(const InputImage& image) const {
    const auto outputs = outputs_of(image, o_);
    return record(image, outputs, io::read_mask_png((out_ / outputs.mask).string()));
  }

  void write_summary(const fs::path& path, const nlohmann::json& settings,
                     const std::vector<InputImage>& images, bool complete) const {
    nlohmann::json bad = nlohmann::json::array();
    for (const auto& [index, error] : bad_)
      bad.push_back({{"image", images[index].path}, {"error", error}});
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& r : records_)
      if (!r.is_null()) listed.push_back(r);
    const nlohmann::json j = {
        {"complete", complete},
        {"settings", settings},
        {"counts",
         {{"images", images.size()}, {"predicted", listed.size()}, {"skipped_bad", bad_.size()}}},
        {"images", listed},
        {"skipped_bad", bad}};
    core::write_file_atomic(path.string(), j.dump(1) + "\n");
  }

  annotator::LoadedSegmenter& model_;
  std::string model_path_;
  const PredictOptions& o_;
  fs::path out_;
  torch::Device device_;
  const ProgressFn& progress_;
  int64_t height_ = 0, width_ = 0;
  std::vector<io::Rgb> colors_;
  std::vector<nlohmann::json> records_;
  std::map<size_t, std::string> bad_;
};

}  // namespace

PredictResult predict_images(annotator::LoadedSegmenter& model, const std::string& model_path,
                             const PredictOptions& options, torch::Device device,
                             const ProgressFn& progress) {
  if (options.batch < 1 || options.batch > kMaxBatch)
    throw SettingError("batch", "must be in [1, " + std::to_string(kMaxBatch) + "]");
  if (options.res < 0 || options.res > kMaxRes)
    throw SettingError("res", "must be in [0, " + std::to_string(kMaxRes) + "]");
  if (options.out.empty()) throw SettingError("out", "is required");
  const auto classes = model.description.class_names.size();
  if (classes < 1 || classes > 255)
    throw InputError(model_path + ": " + std::to_string(classes) +
                     " classes; a palette mask holds at most 255");
  model.segmenter->module().to(device);
  model.segmenter->module().eval();
  return Predictor(model, model_path, options, device, progress).run();
}

}  // namespace lagm::predict

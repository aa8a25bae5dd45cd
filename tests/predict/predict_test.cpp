// lagm predict as a library: images of any size and format come back as masks of their own size,
// the masks at the model's size are eval's argmax, a rerun finishes only what is missing, another
// model's folder is refused, and bad images are refused by name or skipped and counted.
#include "lagm/predict/predict.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "fixtures.h"
#include "lagm/annotator/segmenter_checkpoint.h"
#include "lagm/core/atomic_file.h"
#include "lagm/core/error.h"
#include "lagm/data/folder_dataset.h"
#include "lagm/eval/confusion_matrix.h"
#include "lagm/eval/evaluate.h"
#include "lagm/io/image.h"
#include "lagm/io/npy.h"
#include "lagm/models/checkpoint.h"
#include "lagm/models/model_description.h"
#include "lagm/predict/input_images.h"
#include "lagm/predict/overlay.h"
#include "test_support.h"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {

const std::vector<std::string> kClasses = {"background", "skin", "hair", "eyes"};

// A random width-4 U-Net that says it was trained on 32x32 images, with BatchNorm statistics that
// are not the identity (so that eval mode matters).
std::string write_model(const std::string& path, int seed, int64_t input_size = 32) {
  torch::manual_seed(seed);
  lagm::models::Segmenter seg(lagm::models::segmenter_config_from_json(
      {{"arch", "unet"}, {"num_classes", 4}, {"base_channels", 4}}, "test"));
  for (auto& b : seg.module().named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.2);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 1.5);
  }
  const auto d = lagm::models::describe_training(kClasses, input_size, input_size, 5, "test", "cpu",
                                                 "fp32", 1);
  lagm::models::write_model_checkpoint(
      path, "segmenter", lagm::models::to_json(seg.config()), seg.module(),
      {{"class_names", kClasses}, {"description", lagm::models::to_json(d)}});
  return path;
}

lagm::predict::PredictResult predict(const std::string& model,
                                     const std::vector<std::string>& images, const std::string& out,
                                     lagm::predict::PredictOptions o = {}) {
  auto loaded = lagm::annotator::load_segmenter(model);
  o.images = images;
  o.out = out;
  return lagm::predict::predict_images(loaded, model, o, torch::kCPU);
}

}  // namespace

TEST(Predict, AnySizeAndFormatGetsMasksOfItsOwnSize) {
  const auto dir = lagm::test::fresh_temp_dir("predict_formats");
  const auto model = write_model((dir / "model.safetensors").string(), 1);
  // RGB PNG 50x30, grey PNG, RGBA PNG, 16-bit grey PNG, JPEG, in a nested folder.
  ASSERT_EQ(lagm::test::run_python_file("data_reference", {"photos", (dir / "photos").string()}),
            0);
  lagm::predict::PredictOptions o;
  o.overlay = o.probs = o.report = true;
  o.batch = 2;
  const auto out = (dir / "pred").string();
  const auto r = predict(model, {(dir / "photos").string()}, out, o);
  EXPECT_EQ(r.images, 5);
  EXPECT_EQ(r.predicted, 5);
  const std::map<std::string, std::pair<int64_t, int64_t>> sizes = {{"rgb", {30, 50}},
                                                                    {"grey", {23, 17}},
                                                                    {"sub/rgba", {40, 20}},
                                                                    {"sub/deep", {33, 31}},
                                                                    {"photo", {64, 48}}};
  const auto photos = (dir / "photos").string();
  const std::map<std::string, std::string> originals = {{"rgb", photos + "/rgb.png"},
                                                        {"grey", photos + "/grey.png"},
                                                        {"sub/rgba", photos + "/sub/rgba.png"},
                                                        {"sub/deep", photos + "/sub/deep.png"},
                                                        {"photo", photos + "/photo.JPG"}};
  for (const auto& [name, hw] : sizes) {
    const auto mask = lagm::io::read_mask_png(out + "/masks/" + name + ".png");
    EXPECT_EQ(mask.size(0), hw.first) << name;
    EXPECT_EQ(mask.size(1), hw.second) << name;
    EXPECT_LT(mask.max().item<int>(), 4) << name;
    const auto text = lagm::io::read_png_text(out + "/masks/" + name + ".png");
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text[0].first, "lagm:classes");
    EXPECT_EQ(nlohmann::json::parse(text[0].second), nlohmann::json(kClasses));
    // Overlay: the image blended with its mask's colours at its own size, a legend beneath;
    // probabilities at the network's 32x32.
    const auto overlay = lagm::io::read_image(out + "/overlays/" + name + ".png");
    EXPECT_GT(overlay.size(0), hw.first);
    const auto image = lagm::io::read_image(originals.at(name));
    const auto blend = (image.to(torch::kInt16) +
                        lagm::predict::colorize(mask, lagm::io::voc_colors(4)).to(torch::kInt16))
                           .div(2, "floor")
                           .to(torch::kUInt8);
    EXPECT_TRUE(torch::equal(overlay.narrow(0, 0, hw.first).narrow(1, 0, hw.second), blend))
        << name;
    const auto probs = lagm::io::read_npy(out + "/probs/" + name + ".npy");
    EXPECT_EQ(probs.sizes(), (std::vector<int64_t>{4, 32, 32}));
    EXPECT_EQ(probs.scalar_type(), torch::kHalf);
    EXPECT_TRUE(torch::allclose(probs.to(torch::kFloat).sum(0), torch::ones({32, 32}), 0, 2e-3));
  }
  const auto summary = nlohmann::json::parse(lagm::core::read_file(r.summary_path));
  EXPECT_TRUE(summary.at("complete").get<bool>());
  ASSERT_EQ(summary.at("images").size(), 5u);
  double total = 0;
  for (const auto& [k, v] : summary.at("images")[0].at("class_fractions").items())
    total += v.get<double>();
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_THAT(lagm::core::read_file(out + "/index.html"), HasSubstr("overlays/sub/rgba.png"));
}

TEST(Predict, MasksAtTheModelSizeAreWhatEvalScores) {
  const auto dir = lagm::test::fresh_temp_dir("predict_eval");
  const auto model = write_model((dir / "model.safetensors").string(), 2);
  lagm::test::write_random_folder_dataset((dir / "data").string(), 7, 4, 32, 3);
  for (int64_t batch : {1, 3}) {
    const auto out = (dir / ("pred" + std::to_string(batch))).string();
    lagm::predict::PredictOptions o;
    o.batch = batch;
    predict(model, {(dir / "data/img").string()}, out, o);
    // eval's confusion matrix on the labelled folder = the one of predict's masks.
    auto loaded = lagm::annotator::load_segmenter(model);
    lagm::data::FolderDataset data((dir / "data").string());
    const auto evaluated =
        lagm::eval::evaluate_segmenter(*loaded.segmenter, data, torch::kCPU, batch);
    lagm::eval::ConfusionMatrix from_masks(4);
    for (size_t i = 0; i < data.size(); ++i) {
      const auto mask = lagm::io::read_mask_png(out + "/masks/" + data.ids()[i] + ".png");
      from_masks.add(mask.to(torch::kInt64), data.get(i).label);
    }
    EXPECT_TRUE(torch::equal(evaluated.counts(), from_masks.counts())) << "batch " << batch;
  }
}

TEST(Predict, RerunFinishesOnlyWhatIsMissingAndRefusesAnotherModel) {
  const auto dir = lagm::test::fresh_temp_dir("predict_resume");
  const auto model = write_model((dir / "model.safetensors").string(), 3);
  lagm::test::write_random_folder_dataset((dir / "data").string(), 5, 4, 24, 4);
  // The output folder inside the input folder: a rerun must not take its own masks as inputs.
  const auto images = (dir / "data").string(), out = (dir / "data/pred").string();
  auto r = predict(model, {images}, out);
  EXPECT_EQ(r.images, 10);  // img/ and seg/ PNGs alike: both are images to this command
  const auto kept = lagm::core::read_file(out + "/masks/img/000000.png");
  fs::remove(out + "/masks/img/000003.png");
  r = predict(model, {images}, out);
  EXPECT_EQ(r.images, 10);
  EXPECT_EQ(r.predicted, 1);
  EXPECT_EQ(r.finished_before, 9);
  EXPECT_EQ(lagm::core::read_file(out + "/masks/img/000000.png"), kept);
  EXPECT_TRUE(fs::exists(out + "/masks/img/000003.png"));
  const auto summary = nlohmann::json::parse(lagm::core::read_file(out + "/predictions.json"));
  EXPECT_EQ(summary.at("images").size(), 10u);

  const auto other = write_model((dir / "other.safetensors").string(), 4);
  try {
    predict(other, {images}, out);
    ADD_FAILURE() << "another model's predictions were mixed into the folder";
  } catch (const lagm::UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("model_fingerprint"));
  }
}

TEST(Predict, BadImagesAreRefusedByNameOrSkippedAndCounted) {
  const auto dir = lagm::test::fresh_temp_dir("predict_bad");
  const auto model = write_model((dir / "model.safetensors").string(), 5);
  lagm::test::write_random_folder_dataset((dir / "data").string(), 3, 4, 16, 5);
  lagm::core::write_file_atomic((dir / "data/img/broken.png").string(), "not a picture");
  const auto images = (dir / "data/img").string();
  try {
    predict(model, {images}, (dir / "out").string());
    ADD_FAILURE() << "a broken image was accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("broken.png"));
  }
  lagm::predict::PredictOptions o;
  o.skip_bad = true;
  const auto r = predict(model, {images}, (dir / "out").string(), o);
  EXPECT_EQ(r.bad, 1);
  EXPECT_EQ(r.predicted, 3);
  const auto summary = nlohmann::json::parse(lagm::core::read_file(r.summary_path));
  EXPECT_THAT(summary.at("skipped_bad")[0].at("image").get<std::string>(), HasSubstr("broken.png"));
}

TEST(Predict, InputsAreCollectedFromFilesFoldersAndLists) {
  const auto dir = lagm::test::fresh_temp_dir("predict_inputs");
  lagm::test::write_random_folder_dataset((dir / "a").string(), 2, 3, 16, 6);
  lagm::core::write_file_atomic(
      (dir / "list.txt").string(),
      "# my photos\na/img/000000.png\n\n" + (dir / "a/img/000001.png").string() + "\n");
  auto found =
      lagm::predict::collect_input_images({(dir / "list.txt").string()}, (dir / "out").string());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].name, "a/img/000000");
  EXPECT_EQ(found[1].name, "000001");  // an absolute entry: its file name
  // Two inputs that would write the same outputs are refused, naming both.
  fs::copy_file(dir / "a/img/000000.png", dir / "a/img/000000.jpg");
  try {
    lagm::predict::collect_input_images({(dir / "a/img").string()}, (dir / "out").string());
    ADD_FAILURE() << "000000.png and 000000.jpg both accepted";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("000000"));
  }
  EXPECT_THROW(
      lagm::predict::collect_input_images({(dir / "nothing").string()}, (dir / "out").string()),
      lagm::InputError);
  // An image named directly inside the output folder is refused: outputs never replace inputs.
  fs::create_directories(dir / "out");
  fs::copy_file(dir / "a/img/000000.png", dir / "out/x.png");
  EXPECT_THROW(
      lagm::predict::collect_input_images({(dir / "out/x.png").string()}, (dir / "out").string()),
      lagm::InputError);
}

// Model descriptions: what a checkpoint says about itself reads back as written, an older file's
// missing fields get defaults that are named, and malformed values are refused by file.
#include "lagm/models/model_description.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lagm/core/error.h"
#include "lagm/core/provenance.h"

using lagm::models::model_description_from_json;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ModelDescription, ReadsBackAsWritten) {
  auto d = lagm::models::describe_training({"bg", "skin", "hair"}, 64, 48, 10, "labelled/", "cpu",
                                           "bf16", 2);
  d.validation = {{"epoch", 3}, {"mIoU", 0.5}};
  const auto back = model_description_from_json(lagm::models::to_json(d), {}, 3, "f");
  EXPECT_TRUE(back.defaulted.empty());
  EXPECT_EQ(lagm::models::to_json(back), lagm::models::to_json(d));
  EXPECT_EQ(back.palette[1], (lagm::io::Rgb{128, 0, 0}));
  EXPECT_EQ(back.input_width, 48);
  EXPECT_EQ(back.lagm_version, lagm::core::lagm_version());
  EXPECT_THAT(lagm::models::describe_text(back), HasSubstr("2 data-parallel processes"));
}

TEST(ModelDescription, OlderFilesGetNamedDefaults) {
  auto d = model_description_from_json(nullptr, {"a", "b"}, 2, "old.safetensors");
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.palette.size(), 2u);
  EXPECT_EQ(d.input_height, 0);
  const auto warning = lagm::models::defaulted_warning(d, "old.safetensors");
  EXPECT_THAT(warning, HasSubstr("old.safetensors"));
  EXPECT_THAT(warning, HasSubstr("input size (unknown)"));
  EXPECT_THAT(warning, Not(HasSubstr("class names")));
  d = model_description_from_json(nullptr, {}, 3, "older.safetensors");
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"class0", "class1", "class2"}));
  EXPECT_THAT(lagm::models::defaulted_warning(d, "x"), HasSubstr("class names (classK)"));
}

TEST(ModelDescription, MalformedValuesAreRefusedByFile) {
  const auto good = lagm::models::to_json(
      lagm::models::describe_training({"a", "b"}, 32, 32, 1, "x", "cpu", "fp32", 1));
  auto bad = good;
  bad["palette"][1] = {300, 0, 0};
  EXPECT_THROW(model_description_from_json(bad, {}, 2, "f"), lagm::InputError);
  bad = good;
  bad["input"]["height"] = -5;
  EXPECT_THROW(model_description_from_json(bad, {}, 2, "f"), lagm::InputError);
  try {
    model_description_from_json(good, {}, 3, "three.safetensors");
    ADD_FAILURE() << "2 class names accepted for a 3-class network";
  } catch (const lagm::InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("three.safetensors"));
  }
}

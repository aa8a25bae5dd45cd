#include "lagm/core/state_dict.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "lagm/core/error.h"
#include "lagm/core/tensor_dict.h"

using ::testing::HasSubstr;

namespace {

struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 3, 3)));
    bn = register_module("bn", torch::nn::BatchNorm2d(3));
    scale = register_parameter("scale", torch::ones({1}));
    table = register_buffer("table", torch::zeros({4}));
  }
  torch::Tensor scale, table;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(Tiny);

}  // namespace

TEST(StateDict, FollowsPyTorchOrderOwnParamsThenBuffersThenChildren) {
  Tiny m;
  auto sd = lagm::core::state_dict(*m);
  std::vector<std::string> names;
  for (const auto& [n, t] : sd.items()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"scale", "table", "conv.weight", "conv.bias",
                                             "bn.weight", "bn.bias", "bn.running_mean",
                                             "bn.running_var", "bn.num_batches_tracked"}));
}

TEST(StateDict, LoadCopiesValuesByName) {
  Tiny a, b;
  torch::NoGradGuard g;
  a->conv->weight.normal_();
  a->table.fill_(7);
  lagm::core::load_state_dict(*b, lagm::core::state_dict(*a));
  EXPECT_TRUE(torch::equal(a->conv->weight, b->conv->weight));
  EXPECT_TRUE(torch::equal(b->table, torch::full({4}, 7.0)));
}

TEST(StateDict, StrictReportsEveryProblemInOneError) {
  Tiny m;
  lagm::core::TensorDict bad;
  bad.source = "ckpt.safetensors";
  const auto own = lagm::core::state_dict(*m);
  for (const auto& [n, t] : own.items())
    if (n != "bn.bias") bad.set(n, t);
  bad.set("conv.weight", torch::zeros({3, 2, 5, 5}));
  bad.set("extra.weight", torch::zeros({1}));
  try {
    lagm::core::load_state_dict(*m, bad);
    FAIL() << "no error";
  } catch (const lagm::InputError& e) {
    const std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr("ckpt.safetensors"));
    EXPECT_THAT(msg, HasSubstr("'conv.weight' has shape [3, 2, 5, 5], expected [3, 2, 3, 3]"));
    EXPECT_THAT(msg, HasSubstr("missing keys: bn.bias"));
    EXPECT_THAT(msg, HasSubstr("unexpected keys: extra.weight"));
  }
}

TEST(StateDict, NonStrictReturnsMissingKeys) {
  Tiny m;
  lagm::core::TensorDict partial;
  partial.set("scale", torch::full({1}, 2.0));
  const auto missing = lagm::core::load_state_dict(*m, partial, {/*strict=*/false});
  EXPECT_EQ(missing.size(), 8u);
  EXPECT_FLOAT_EQ(m->scale.item<float>(), 2.0f);
}

TEST(TensorDict, RequireFiniteNamesTheSourceAndTheTensor) {
  lagm::core::TensorDict d;
  d.source = "G.safetensors";
  d.set("ok", torch::ones({3}));
  d.set("steps", torch::tensor({int64_t{1}}));  // integer tensors cannot be non-finite
  EXPECT_NO_THROW(d.require_finite());
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    auto w = torch::zeros({2, 2});
    w[1][0] = bad;
    d.set("synthesis.b4.conv.weight", w);
    try {
      d.require_finite();
      ADD_FAILURE() << bad << " accepted";
    } catch (const lagm::InputError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("G.safetensors"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr("synthesis.b4.conv.weight"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr("non-finite"));
    }
  }
}

TEST(Error, RequireFiniteLossNamesTheLossAndWhere) {
  EXPECT_NO_THROW(lagm::require_finite_loss(0.5, "the loss", "step 3"));
  try {
    lagm::require_finite_loss(std::nan(""), "the matching loss", "iteration 17");
    ADD_FAILURE();
  } catch (const lagm::InputError&) {
    ADD_FAILURE() << "a diverged run is not bad input (exit 1, not 2)";
  } catch (const lagm::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("the matching loss is NaN at iteration 17"));
  }
}

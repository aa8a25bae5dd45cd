// The run layer's small tools: the rate meter behind every progress line, the running mean of
// losses, and the fast-mode switches (bf16 autocast, channels-last).
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "lagm/train/precision.h"
#include "lagm/train/rate_meter.h"
#include "lagm/train/running_mean.h"

namespace lt = lagm::train;

TEST(RateMeter, CountsOnlyTheUnitsOfThisSession) {
  lt::RateMeter meter(/*done=*/40, /*total=*/100);  // a run resumed after 40 of 100 units
  EXPECT_EQ(meter.units_per_second(), 0.0);
  EXPECT_EQ(meter.eta_seconds(), 0.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  meter.update(50);
  const double rate = meter.units_per_second();
  // 10 units in at least 30 ms: at most 334 units/s; the 40 units of the earlier session are not
  // counted (they would make it at least 4x higher).
  EXPECT_GT(rate, 0.0);
  EXPECT_LE(rate, 10 / 0.030 + 1e-9);
  EXPECT_NEAR(meter.seconds_per_unit() * rate, 1.0, 1e-12);
  EXPECT_NEAR(meter.eta_seconds(), 50 / rate, 1e-9);
  EXPECT_GE(meter.elapsed_seconds(), 0.030);
  meter.update(100);
  EXPECT_EQ(meter.eta_seconds(), 0.0);
  EXPECT_EQ(meter.eta_text(), "0s");
}

TEST(RunningMean, IsNanUntilTheFirstValue) {
  lt::RunningMean mean;
  EXPECT_TRUE(std::isnan(mean.value()));
  mean.add(1.0);
  mean.add(4.0);
  EXPECT_DOUBLE_EQ(mean.value(), 2.5);
}

TEST(Bf16Autocast, RunsForwardPassesInBfloat16OnlyInsideItsScope) {
  const auto a = torch::randn({4, 8}), b = torch::randn({8, 3});
  {
    lt::Bf16Autocast autocast(true, torch::kCPU);
    EXPECT_TRUE(at::autocast::is_cpu_enabled());
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
  }
  EXPECT_FALSE(at::autocast::is_cpu_enabled());
  EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat32);
  {
    lt::Bf16Autocast off(false, torch::kCPU);
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat32);
  }
}

TEST(ChannelsLast, KeepsTheValuesAndChangesOnlyTheStrides) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 5, 3));
  const auto before = conv->weight.detach().clone();
  lt::to_channels_last(*conv);
  EXPECT_TRUE(conv->weight.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(conv->weight.detach(), before));
  const auto x = torch::randn({2, 3, 8, 8});
  auto plain = torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 5, 3));
  {
    torch::NoGradGuard no_grad;
    plain->weight.copy_(before);
    plain->bias.copy_(conv->bias);
  }
  EXPECT_TRUE(torch::allclose(conv->forward(x), plain->forward(x), 1e-5, 1e-6));
}

// Dilated convolutions' weights go channels-last too: fast mode runs them in bfloat16, where
// LibTorch 1.13 is fastest with both operands channels-last (nn::pruned_conv2d gives a dilated
// convolution its input in its weight's layout), and a plain one among channels-last layers
// converts its neighbours' activations at every call.
TEST(ChannelsLast, DilatedConvolutionWeightsGoChannelsLastToo) {
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 5, 3)),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(5, 5, 3).dilation(2)));
  lt::to_channels_last(*net);
  const auto params = net->parameters();
  EXPECT_TRUE(params[0].is_contiguous(at::MemoryFormat::ChannelsLast));  // 0.weight
  EXPECT_TRUE(params[2].is_contiguous(at::MemoryFormat::ChannelsLast));  // 1.weight
  EXPECT_FALSE(params[2].is_contiguous());
}

// nn::directional_derivative: J v of a small convolutional network in training mode (BatchNorm with
// batch statistics), against the same product taken by reverse mode twice (the gradient of
// <J^T u, v> in u), in float64; parameters and grad mode are left as they were.
#include "lagm/nn/directional_derivative.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

TEST(DirectionalDerivative, EqualsTheReverseModeJacobianVectorProduct) {
  torch::manual_seed(0);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)),
                            torch::nn::BatchNorm2d(4), torch::nn::ReLU(),
                            torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 2, 1)));
  net->to(torch::kFloat64);
  net->train();
  const auto x = torch::randn({2, 3, 6, 6}, torch::kFloat64);
  // The direction: the first convolution's weight and the last one's bias; the rest stays put.
  const auto params = net->parameters();
  std::vector<torch::Tensor> direction(params.size());
  direction.front() = torch::randn_like(params.front());
  direction.back() = torch::randn_like(params.back());

  const auto r =
      lagm::nn::directional_derivative([&] { return net->forward(x); }, params, direction);

  const auto u = torch::zeros_like(r.output).requires_grad_();
  const auto out = net->forward(x);
  const auto vjp = torch::autograd::grad({out}, params, {u}, /*retain_graph=*/true,
                                         /*create_graph=*/true, /*allow_unused=*/true);
  auto dot = torch::zeros({}, torch::kFloat64);
  for (size_t i = 0; i < params.size(); ++i)
    if (direction[i].defined()) dot = dot + (vjp[i] * direction[i]).sum();
  const auto expected = torch::autograd::grad({dot}, {u})[0];

  EXPECT_TRUE(torch::allclose(r.output, out.detach(), 1e-12, 1e-12));
  EXPECT_GT(expected.abs().max().item<double>(), 1e-3);
  EXPECT_TRUE(torch::allclose(r.derivative, expected, 1e-10, 1e-12))
      << "max difference " << (r.derivative - expected).abs().max().item<double>();
  EXPECT_FALSE(r.derivative.requires_grad());
  EXPECT_TRUE(torch::GradMode::is_enabled());
  for (const auto& p : params) EXPECT_FALSE(p._fw_grad(0).defined()) << "a tangent stayed attached";
}

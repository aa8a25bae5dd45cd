#include "lagm/nn/pruned_conv2d.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <array>
#include <vector>

namespace lagm::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Geometry of the convolution, kept in the autograd context.
void save_geometry(AutogradContext* ctx, const std::vector<int64_t>& stride,
                   const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation,
                   int64_t groups) {
  ctx->saved_data["stride"] = stride;
  ctx->saved_data["padding"] = padding;
  ctx->saved_data["dilation"] = dilation;
  ctx->saved_data["groups"] = groups;
}

struct Geometry {
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups;
};

Geometry geometry(AutogradContext* ctx) {
  return {ctx->saved_data["stride"].toIntVector(), ctx->saved_data["padding"].toIntVector(),
          ctx->saved_data["dilation"].toIntVector(), ctx->saved_data["groups"].toInt()};
}

const std::vector<int64_t> kNoOutputPadding = {0, 0};

/// (gO, x, w) -> (grad x, grad w, grad bias), each only where `mask` asks (else an empty
/// placeholder: a custom function's outputs must be defined): what LibTorch's
/// ConvolutionBackward0 computes, as a node of its own so that its backward is ours.
class ConvolutionBackward : public torch::autograd::Function<ConvolutionBackward> {
 public:
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& grad_out,
                               const torch::Tensor& x, const torch::Tensor& w, bool has_bias,
                               std::vector<bool> mask, const std::vector<int64_t>& stride,
                               const std::vector<int64_t>& padding,
                               const std::vector<int64_t>& dilation, int64_t groups) {
    ctx->save_for_backward({grad_out, x, w});
    save_geometry(ctx, stride, padding, dilation, groups);
    ctx->set_materialize_grads(false);  // unused outputs (placeholders too) get no gradient
    const std::vector<int64_t> bias_sizes = {w.size(0)};
    auto [gx, gw, gb] = at::convolution_backward(
        grad_out, x, w,
        has_bias ? at::OptionalIntArrayRef(bias_sizes) : at::OptionalIntArrayRef(c10::nullopt),
        stride, padding, dilation, /*transposed=*/false, kNoOutputPadding, groups,
        {mask[0], mask[1], has_bias && mask[2]});
    const auto defined = [&x](const torch::Tensor& t) {
      return t.defined() ? t : at::empty({0}, x.options());
    };
    return {defined(gx), defined(gw), defined(gb)};
  }

  // The double backward, term by term as LibTorch writes it (_convolution_double_backward), each
  // computed only when this graph task needs it: d/d(grad_out) = conv(ggx, w) + conv(x, ggw) + ggb;
  // d/dx and d/dw through LibTorch's own function (which computes every term).
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &grad_out = saved[0], &x = saved[1], &w = saved[2];
    const auto g = geometry(ctx);
    const auto &ggx = grads[0], &ggw = grads[1], &ggb = grads[2];
    torch::Tensor grad_grad_out, grad_x, grad_w;
    if (ctx->needs_input_grad(0)) {
      if (ggx.defined())
        grad_grad_out = at::convolution(ggx, w, {}, g.stride, g.padding, g.dilation, false,
                                        kNoOutputPadding, g.groups);
      if (ggw.defined()) {
        auto term = at::convolution(x, ggw, {}, g.stride, g.padding, g.dilation, false,
                                    kNoOutputPadding, g.groups);
        grad_grad_out = grad_grad_out.defined() ? grad_grad_out + term : term;
      }
      if (ggb.defined()) {
        std::vector<int64_t> shape(static_cast<size_t>(grad_out.dim()), 1);
        shape[1] = ggb.size(0);
        auto expanded = ggb.contiguous().view(shape).expand(grad_out.sizes());
        grad_grad_out = grad_grad_out.defined() ? grad_grad_out + expanded : expanded.contiguous();
      }
    }
    if (ctx->needs_input_grad(1) || ctx->needs_input_grad(2)) {
      auto terms = at::_convolution_double_backward(
          ggx.defined() ? c10::optional<at::Tensor>(ggx) : c10::nullopt,
          ggw.defined() ? c10::optional<at::Tensor>(ggw) : c10::nullopt,
          ggb.defined() ? c10::optional<at::Tensor>(ggb) : c10::nullopt, grad_out, w, x, g.stride,
          g.padding, g.dilation, false, kNoOutputPadding, g.groups,
          {false, ctx->needs_input_grad(1), ctx->needs_input_grad(2)});
      if (ctx->needs_input_grad(1)) grad_x = std::get<1>(terms);
      if (ctx->needs_input_grad(2)) grad_w = std::get<2>(terms);
    }
    return {grad_grad_out, grad_x, grad_w, {}, {}, {}, {}, {}, {}};
  }
};

/// conv2d(x, w, b) whose backward is ConvolutionBackward (so its double backward is pruned).
class PrunedConvolution : public torch::autograd::Function<PrunedConvolution> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               const torch::Tensor& b, const std::vector<int64_t>& stride,
                               const std::vector<int64_t>& padding,
                               const std::vector<int64_t>& dilation, int64_t groups) {
    ctx->save_for_backward({x, w});
    save_geometry(ctx, stride, padding, dilation, groups);
    const bool has_bias = b.numel() > 0;
    ctx->saved_data["has_bias"] = has_bias;
    return at::convolution(x, w, has_bias ? c10::optional<at::Tensor>(b) : c10::nullopt, stride,
                           padding, dilation, false, kNoOutputPadding, groups);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto g = geometry(ctx);
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    const std::vector<bool> mask = {ctx->needs_input_grad(0), ctx->needs_input_grad(1),
                                    has_bias && ctx->needs_input_grad(2)};
    auto out = ConvolutionBackward::apply(grads[0], saved[0], saved[1], has_bias, mask, g.stride,
                                          g.padding, g.dilation, g.groups);
    return {mask[0] ? out[0] : torch::Tensor(),
            mask[1] ? out[1] : torch::Tensor(),
            mask[2] ? out[2] : torch::Tensor(),
            {},
            {},
            {},
            {}};
  }
};

// Visitors of Conv2dOptions' variants, called unqualified so that argument-dependent lookup finds
// the variant library's visit (c10's in LibTorch 1.13, std's in 2.x).
struct NumericPadding {
  c10::optional<std::vector<int64_t>> operator()(const torch::ExpandingArray<2>& p) const {
    return std::vector<int64_t>(p->begin(), p->end());
  }
  template <typename Other>
  c10::optional<std::vector<int64_t>> operator()(const Other& /*kValid, kSame*/) const {
    return c10::nullopt;
  }
};

struct IsZerosMode {
  bool operator()(const torch::enumtype::kZeros& /*unused*/) const { return true; }
  template <typename Other>
  bool operator()(const Other& /*reflect, replicate, circular*/) const {
    return false;
  }
};

thread_local bool frozen_in_bf16 = false;

bool needs_no_gradient(const torch::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  return !x.requires_grad() && !conv.weight.requires_grad() &&
         !(conv.bias.defined() && conv.bias.requires_grad());
}

torch::Tensor conv2d_in_bf16(const torch::nn::Conv2dImpl& conv, const torch::Tensor& x,
                             const std::vector<int64_t>& padding) {
  const auto& o = conv.options;
  const auto bf16 = [](const torch::Tensor& t) { return t.defined() ? t.to(torch::kBFloat16) : t; };
  return at::conv2d(bf16(x), bf16(conv.weight), bf16(conv.bias), *o.stride(), padding,
                    *o.dilation(), o.groups())
      .to(x.scalar_type());
}

}  // namespace

FrozenConvolutionsInBf16::FrozenConvolutionsInBf16(bool on) : previous_(frozen_in_bf16) {
  frozen_in_bf16 = previous_ || on;
}

FrozenConvolutionsInBf16::~FrozenConvolutionsInBf16() { frozen_in_bf16 = previous_; }

torch::Tensor pruned_conv2d(torch::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  const auto& o = conv.options;
  const auto padding = visit(NumericPadding{}, o.padding());
  const bool plain = padding && !o.transposed() && visit(IsZerosMode{}, o.padding_mode());
  if (plain && frozen_in_bf16 && x.scalar_type() == torch::kFloat32 && needs_no_gradient(conv, x))
    return conv2d_in_bf16(conv, x, *padding);
  if (!plain || !torch::GradMode::is_enabled() || at::autocast::is_cpu_enabled() ||
      at::autocast::is_enabled())
    return conv.forward(x);
  const std::vector<int64_t> stride(o.stride()->begin(), o.stride()->end()),
      dilation(o.dilation()->begin(), o.dilation()->end());
  // A custom function's tensor inputs must be defined: no bias is an empty placeholder.
  const auto bias = conv.bias.defined() ? conv.bias : at::empty({0}, x.options());
  return PrunedConvolution::apply(x, conv.weight, bias, stride, *padding, dilation, o.groups());
}

}  // namespace lagm::nn

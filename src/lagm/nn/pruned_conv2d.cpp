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

thread_local bool convolutions_in_bf16 = false;

bool needs_no_gradient(const torch::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  return !x.requires_grad() && !conv.weight.requires_grad() &&
         !(conv.bias.defined() && conv.bias.requires_grad());
}

/// One convolution call: the weight (possibly a slice of the module's) and its geometry.
struct ConvCall {
  torch::Tensor weight;
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups;
};

// A 3x3 "same" dilated convolution (stride 1, padding = dilation) whose dilation reaches past the
// input in an axis has only its middle row (column) of taps on the input there: the others multiply
// the zero padding at every output. DeepLab's ASPP (dilations 12, 24, 36) on the 8x8 map of a 64-px
// image is a 1x1 convolution in disguise, and LibTorch 1.13's CPU backward of a dilated
// convolution is a slow path (35 ms a call there). The call keeps the live taps only: the same sums
// without their zero terms (the dead taps' weight gradient is zero either way).
void drop_taps_on_padding(ConvCall& c, const torch::Tensor& x) {
  for (int64_t axis = 0; axis < 2; ++axis) {
    const auto a = static_cast<size_t>(axis);
    const bool dead = c.weight.size(2 + axis) == 3 && c.stride[a] == 1 && c.dilation[a] > 1 &&
                      c.padding[a] == c.dilation[a] && c.dilation[a] >= x.size(2 + axis);
    if (!dead) continue;
    c.weight = c.weight.narrow(2 + axis, 1, 1);
    c.padding[a] = 0;
    c.dilation[a] = 1;
  }
}

torch::Tensor to_bf16(const torch::Tensor& t) { return t.defined() ? t.to(torch::kBFloat16) : t; }

torch::Tensor conv2d_in_bf16(const torch::Tensor& x, const ConvCall& c, const torch::Tensor& bias) {
  return at::conv2d(to_bf16(x), to_bf16(c.weight), to_bf16(bias), c.stride, c.padding, c.dilation,
                    c.groups)
      .to(x.scalar_type());
}

// A custom function's tensor inputs must be defined: no bias is an empty placeholder.
torch::Tensor pruned_convolution(const torch::Tensor& x, const ConvCall& c,
                                 const torch::Tensor& bias) {
  return PrunedConvolution::apply(x, c.weight, bias.defined() ? bias : at::empty({0}, x.options()),
                                  c.stride, c.padding, c.dilation, c.groups);
}

// The casts are recorded: the gradients go back to float32 through them.
torch::Tensor pruned_convolution_in_bf16(const torch::Tensor& x, ConvCall c,
                                         const torch::Tensor& bias) {
  c.weight = to_bf16(c.weight);
  return pruned_convolution(to_bf16(x), c, to_bf16(bias)).to(x.scalar_type());
}

}  // namespace

ConvolutionsInBf16::ConvolutionsInBf16(bool on) : previous_(convolutions_in_bf16) {
  convolutions_in_bf16 = previous_ || on;
}

ConvolutionsInBf16::~ConvolutionsInBf16() { convolutions_in_bf16 = previous_; }

torch::Tensor pruned_conv2d(torch::nn::Conv2dImpl& conv, const torch::Tensor& x_in) {
  const auto& o = conv.options;
  const auto padding = visit(NumericPadding{}, o.padding());
  const bool plain = padding && !o.transposed() && visit(IsZerosMode{}, o.padding_mode());
  if (!plain) return conv.forward(x_in);
  ConvCall c{conv.weight, std::vector<int64_t>(o.stride()->begin(), o.stride()->end()), *padding,
             std::vector<int64_t>(o.dilation()->begin(), o.dilation()->end()), o.groups()};
  drop_taps_on_padding(c, x_in);
  // A dilated convolution runs fastest with both operands in one layout (LibTorch 1.13 is slow
  // there with one channels-last operand); the input follows the weight's.
  const bool dilated = c.dilation[0] > 1 || c.dilation[1] > 1;
  const auto x = dilated ? x_in.contiguous(c.weight.suggest_memory_format()) : x_in;
  const bool in_bf16 = convolutions_in_bf16 && x.scalar_type() == torch::kFloat32;
  if (in_bf16 && needs_no_gradient(conv, x)) return conv2d_in_bf16(x, c, conv.bias);
  if (!torch::GradMode::is_enabled() || at::autocast::is_cpu_enabled() ||
      at::autocast::is_enabled())
    return at::conv2d(x, c.weight, conv.bias, c.stride, c.padding, c.dilation, c.groups);
  return in_bf16 ? pruned_convolution_in_bf16(x, c, conv.bias)
                 : pruned_convolution(x, c, conv.bias);
}

}  // namespace lagm::nn

#include "lagm/models/stylegan1/generator.h"

#include <torch/torch.h>

#include <cmath>

#include "lagm/core/config_json.h"
#include "lagm/core/error.h"
#include "lagm/core/squared.h"
#include "lagm/models/noise_share.h"

namespace lagm::models::stylegan1 {
using core::check_keys;
using core::get_or;
namespace F = torch::nn::functional;

namespace {
constexpr int64_t kLatent = 512;
constexpr int64_t kNumWs = 18;

std::string block_name(int64_t res) { return std::to_string(res) + "x" + std::to_string(res); }

// Plain holder modules so that names read g_mapping.dense0, g_synthesis.blocks.4x4, ...
struct Holder : torch::nn::Module {};
}  // namespace

int64_t StyleGAN1Options::channels_at(int64_t res) const {
  const int64_t stage = static_cast<int64_t>(std::llround(std::log2(static_cast<double>(res)))) - 1;
  return std::min(static_cast<int64_t>(static_cast<double>(fmap_base) / std::pow(2.0, stage)),
                  fmap_max);
}

StyleGAN1Options stylegan1_options_from_json(const nlohmann::json& j, const std::string& where) {
  check_keys(j,
             {"resolution", "img_resolution", "fmap_base", "fmap_max", "truncation_psi",
              "truncation_max_layer", "truncation_cutoff", "avg_latent_layers", "noise_const_seed"},
             where);
  StyleGAN1Options o;
  o.resolution =
      get_or<int64_t>(j, "resolution", get_or<int64_t>(j, "img_resolution", 1024, where), where);
  o.fmap_base = get_or<int64_t>(j, "fmap_base", 8192, where);
  o.fmap_max = get_or<int64_t>(j, "fmap_max", 512, where);
  o.truncation_psi = get_or<double>(j, "truncation_psi", 0.7, where);
  o.truncation_max_layer = get_or<int64_t>(
      j, "truncation_max_layer", get_or<int64_t>(j, "truncation_cutoff", 8, where), where);
  o.avg_latent_layers = get_or<int64_t>(j, "avg_latent_layers", 0, where);
  o.noise_const_seed = get_or<uint64_t>(j, "noise_const_seed", 0, where);
  if (o.resolution < 4 || o.resolution > 1024 || (o.resolution & (o.resolution - 1)))
    throw InputError(where + ".resolution must be a power of two in [4, 1024] (got " +
                     std::to_string(o.resolution) + ")");
  core::require_in_range(o.fmap_base, 1, int64_t{1} << 20, where + ".fmap_base");
  core::require_in_range(o.fmap_max, 1, 8192, where + ".fmap_max");
  if (o.channels_at(o.resolution) < 1)
    throw InputError(where + ": fmap_base " + std::to_string(o.fmap_base) +
                     " leaves no channels at " + std::to_string(o.resolution) + " px");
  if (o.avg_latent_layers != 0 && o.avg_latent_layers != kNumWs)
    throw InputError(where + ".avg_latent_layers must be 0 or 18");
  return o;
}

nlohmann::json to_json(const StyleGAN1Options& o) {
  return {{"resolution", o.resolution},
          {"fmap_base", o.fmap_base},
          {"fmap_max", o.fmap_max},
          {"truncation_psi", o.truncation_psi},
          {"truncation_max_layer", o.truncation_max_layer},
          {"avg_latent_layers", o.avg_latent_layers},
          {"noise_const_seed", o.noise_const_seed}};
}

InputBlockImpl::InputBlockImpl(int64_t c, int64_t latent) {
  const_ = register_parameter("const", torch::ones({1, c, 4, 4}));
  bias = register_parameter("bias", torch::ones({c}));
  epi1 = register_module("epi1", LayerEpilogue(c, latent));
  conv = register_module("conv", MyConv2d(c, c, 3, std::sqrt(2.0)));
  epi2 = register_module("epi2", LayerEpilogue(c, latent));
}

GSynthesisBlockImpl::GSynthesisBlockImpl(int64_t in, int64_t out, int64_t latent) {
  conv0_up = register_module("conv0_up", MyConv2d(in, out, 3, std::sqrt(2.0), /*upscale=*/true));
  epi1 = register_module("epi1", LayerEpilogue(out, latent));
  conv1 = register_module("conv1", MyConv2d(out, out, 3, std::sqrt(2.0)));
  epi2 = register_module("epi2", LayerEpilogue(out, latent));
}

StyleGAN1GeneratorImpl::StyleGAN1GeneratorImpl(StyleGAN1Options options_) : options(options_) {
  TORCH_CHECK(options.channels_at(options.resolution) >= 1,
              "StyleGAN1: fmap_base leaves no channels at ", options.resolution, " px");
  auto mapping = register_module("g_mapping", std::make_shared<Holder>());
  for (int i = 0; i < 8; ++i)
    dense.push_back(mapping->register_module("dense" + std::to_string(i),
                                             MyLinear(kLatent, kLatent, std::sqrt(2.0), 0.01)));
  auto truncation = register_module("truncation", std::make_shared<Holder>());
  avg_latent = truncation->register_buffer("avg_latent", options.avg_latent_layers
                                                             ? torch::zeros({1, kNumWs, kLatent})
                                                             : torch::zeros({kLatent}));
  auto synthesis = register_module("g_synthesis", std::make_shared<Holder>());
  // The reference registers torgb before the blocks.
  torgb = synthesis->register_module("torgb",
                                     MyConv2d(options.channels_at(options.resolution), 3, 1, 1.0));
  auto holder = synthesis->register_module("blocks", std::make_shared<Holder>());
  block4 = holder->register_module("4x4", InputBlock(options.channels_at(4), kLatent));
  for (int64_t res = 8; res <= options.resolution; res *= 2)
    blocks.push_back(holder->register_module(
        block_name(res),
        GSynthesisBlock(options.channels_at(res / 2), options.channels_at(res), kLatent)));
  // Const noise: drawn once per layer from the seed, [1, 1, R, R], shared by every sample.
  auto gen = at::detail::createCPUGenerator(options.noise_const_seed);
  for (const auto& name : noise_layer_names()) {
    const int64_t res = std::stoll(name.substr(name.find("blocks.") + 7));
    const_noise_[name] = torch::randn({1, 1, res, res}, gen);
  }
}

std::vector<std::string> StyleGAN1GeneratorImpl::noise_layer_names() const {
  std::vector<std::string> names;
  for (int64_t res = 4; res <= options.resolution; res *= 2)
    for (const char* epi : {"epi1", "epi2"})
      names.push_back("g_synthesis.blocks." + block_name(res) + "." + epi + ".top_epi.noise");
  return names;
}

torch::Tensor StyleGAN1GeneratorImpl::noise_for(const std::string& name, int64_t n, int64_t res,
                                                const torch::Tensor& like, NoiseMode mode,
                                                const NoiseInputs& given) {
  auto it = given.find(name);
  if (it != given.end()) return it->second.to(like.device(), like.scalar_type());
  switch (mode) {
    case NoiseMode::kRandom:
      return random_noise(n, res, like.options());
    case NoiseMode::kConst:
      return const_noise_.at(name).to(like.device(), like.scalar_type());
    case NoiseMode::kNone:
      return torch::Tensor();
  }
  return torch::Tensor();
}

StyleGAN1Output StyleGAN1GeneratorImpl::forward(const torch::Tensor& z, NoiseMode mode,
                                                const NoiseInputs& given) {
  TORCH_CHECK(z.dim() == 2 && z.size(1) == kLatent, "StyleGAN1Generator.z must be [N, 512], got ",
              z.sizes());
  const int64_t n = z.size(0);
  StyleGAN1Output out;
  // Mapping: pixel norm, 8 x (dense, lrelu), broadcast to 18 ws.
  auto x = z * (core::squared(z).mean(1, true) + 1e-8).rsqrt();
  for (auto& d : dense) x = torch::leaky_relu(d->forward(x), 0.2);
  auto ws = x.unsqueeze(1).expand({n, kNumWs, kLatent});
  // Truncation towards avg_latent for layer indices below max_layer.
  auto layer = torch::arange(kNumWs, z.options().dtype(torch::kInt64)).view({1, kNumWs, 1});
  auto avg = avg_latent.dim() == 1 ? avg_latent.view({1, 1, kLatent}) : avg_latent;
  ws = torch::where(layer < options.truncation_max_layer,
                    torch::lerp(avg, ws, options.truncation_psi), ws);
  out.ws = ws;

  auto name = [](int64_t res, const char* epi) {
    return "g_synthesis.blocks." + block_name(res) + "." + epi + ".top_epi.noise";
  };
  auto h = block4->const_.expand({n, -1, -1, -1}) + block4->bias.view({1, -1, 1, 1});
  h = block4->epi1->forward(h, ws.select(1, 0), noise_for(name(4, "epi1"), n, 4, h, mode, given));
  auto c = block4->conv->forward(h);
  h = block4->epi2->forward(c, ws.select(1, 1), noise_for(name(4, "epi2"), n, 4, c, mode, given));
  out.features = {h, c};
  int64_t i = 1, res = 8;
  for (auto& b : blocks) {
    auto y = b->conv0_up->forward(h);
    y = b->epi1->forward(y, ws.select(1, 2 * i),
                         noise_for(name(res, "epi1"), n, res, y, mode, given));
    c = b->conv1->forward(y);
    h = b->epi2->forward(c, ws.select(1, 2 * i + 1),
                         noise_for(name(res, "epi2"), n, res, c, mode, given));
    out.features.push_back(h);
    out.features.push_back(c);
    ++i, res *= 2;
  }
  out.img = torgb->forward(h);
  return out;
}

}  // namespace lagm::models::stylegan1

#include "lagm/models/stylegan2/tf_pickle.h"

#include <cmath>
#include <map>
#include <set>

#include "lagm/core/error.h"
#include "lagm/models/pickled_values.h"

namespace lagm::models::stylegan2 {
namespace {

namespace pk = io::pickle;
using Variables = std::map<std::string, pk::ValuePtr>;

constexpr char kNetworkClass[] = "dnnlib.tflib.network.Network";

// Components shared over and over would be visited once per path; this bounds it.
constexpr int64_t kMaxComponentVisits = 10000;

/// Every variable of a network and its components, by "component/name".
void collect_variables(const pk::Value& net, const std::string& prefix, Variables& out,
                       const std::string& where, int64_t& visits) {
  if (++visits > kMaxComponentVisits)
    throw InputError(where + ": more than 10000 network components");
  if (!net.is(pk::Kind::kObject) || net.text != kNetworkClass || !net.state ||
      !net.state->is(pk::Kind::kDict))
    throw InputError(where + ": '" + prefix + "' is not a TensorFlow network state");
  if (const auto vars = net.state->find("variables"); vars && vars->is_sequence())
    for (const auto& pair : vars->items) {
      if (!pair->is_sequence() || pair->items.size() != 2 || !pair->items[0]->is(pk::Kind::kString))
        throw InputError(where + ": a variable that is not (name, array)");
      out[prefix + pair->items[0]->text] = pair->items[1];
    }
  if (const auto comps = net.state->find("components"); comps && comps->is(pk::Kind::kDict))
    for (const auto& [k, v] : comps->entries)
      if (k->is(pk::Kind::kString))
        collect_variables(*v, prefix + k->text + "/", out, where, visits);
}

/// static_kwargs -> the PyTorch constructor's kwargs (names and defaults of the legacy loader).
nlohmann::json tf_kwargs(const nlohmann::json& sk, const std::string& where) {
  static const std::set<std::string> known = {
      "latent_size",       "label_size",      "dlatent_size",
      "resolution",        "num_channels",    "mapping_layers",
      "label_fmaps",       "mapping_fmaps",   "mapping_nonlinearity",
      "mapping_lrmul",     "w_avg_beta",      "fmap_base",
      "fmap_max",          "num_fp16_res",    "conv_clamp",
      "architecture",      "resample_kernel", "use_noise",
      "nonlinearity",      "truncation_psi",  "truncation_cutoff",
      "style_mixing_prob", "structure",       "conditioning",
      "fused_modconv"};
  for (const auto& [k, v] : sk.items())
    if (!known.count(k)) throw InputError(where + ": unknown TensorFlow static kwarg '" + k + "'");
  const auto get = [&](const char* key, const nlohmann::json& fallback) {
    return sk.contains(key) ? sk[key] : fallback;
  };
  if (get("resample_kernel", {1, 3, 3, 1}) != nlohmann::json({1, 3, 3, 1}))
    throw InputError(where + ": only resample_kernel [1, 3, 3, 1] is supported");
  auto w_avg_beta = get("w_avg_beta", 0.995);
  if (w_avg_beta.is_null()) w_avg_beta = 1;
  const auto fmap_base = get("fmap_base", 16384);
  if (!fmap_base.is_number_integer() || fmap_base.get<int64_t>() < 1 ||
      fmap_base.get<int64_t>() > (int64_t{1} << 30))
    throw InputError(where + ": fmap_base is not an integer in [1, 2^30]");
  return {{"z_dim", get("latent_size", 512)},
          {"c_dim", get("label_size", 0)},
          {"w_dim", get("dlatent_size", 512)},
          {"img_resolution", get("resolution", 1024)},
          {"img_channels", get("num_channels", 3)},
          {"mapping_kwargs",
           {{"num_layers", get("mapping_layers", 8)},
            {"embed_features", get("label_fmaps", nullptr)},
            {"layer_features", get("mapping_fmaps", nullptr)},
            {"activation", get("mapping_nonlinearity", "lrelu")},
            {"lr_multiplier", get("mapping_lrmul", 0.01)},
            {"w_avg_beta", w_avg_beta}}},
          {"synthesis_kwargs",
           {{"channel_base", fmap_base.get<int64_t>() * 2},
            {"channel_max", get("fmap_max", 512)},
            {"num_fp16_res", get("num_fp16_res", 0)},
            {"conv_clamp", get("conv_clamp", nullptr)},
            {"architecture", get("architecture", "skip")},
            {"use_noise", get("use_noise", true)},
            {"activation", get("nonlinearity", "lrelu")}}}};
}

/// Maps TF variables to PyTorch names, layouts and conventions.
class TfMapper {
 public:
  TfMapper(const Variables& vars, std::string where) : vars_(vars), where_(std::move(where)) {
    auto k = torch::tensor({1.f, 3.f, 3.f, 1.f});
    filter_ = torch::outer(k, k) / 64;
  }

  bool has(const std::string& name) const { return vars_.count(name) != 0; }
  torch::Tensor get(const std::string& name) const {
    auto it = vars_.find(name);
    if (it == vars_.end()) throw InputError(where_ + ": no TensorFlow variable '" + name + "'");
    return pickled_float_tensor(it->second, where_ + ": " + name);
  }
  /// [kh, kw, in, out] -> [out, in, kh, kw]; up-sampling convolutions are also flipped.
  torch::Tensor conv(const std::string& name, bool flip) const {
    auto w = get(name);
    if (w.dim() != 4) throw InputError(where_ + ": " + name + " is not a 4-D kernel");
    if (flip) w = w.flip({0, 1});
    return w.permute({3, 2, 0, 1}).contiguous();
  }
  /// `name`[0] (TF keeps a leading batch axis on constants and noise), `levels` times.
  torch::Tensor leading(const std::string& name, int64_t levels) const {
    auto t = get(name);
    for (int64_t i = 0; i < levels; ++i) {
      if (t.dim() == 0 || t.size(0) != 1)
        throw InputError(where_ + ": " + name + " lacks its leading axis of size 1");
      t = t[0];
    }
    return t.contiguous();
  }
  torch::Tensor dense(const std::string& name) const {
    auto w = get(name);
    if (w.dim() != 2) throw InputError(where_ + ": " + name + " is not a 2-D matrix");
    return w.t().contiguous();
  }

  void layer(const std::string& dst, const std::string& src, bool flip, bool with_filter,
             int64_t noise) {
    out.set(dst + ".weight", conv(src + "/weight", flip));
    if (has(src + "/noise_strength"))
      out.set(dst + ".noise_strength", get(src + "/noise_strength").reshape({}));
    out.set(dst + ".bias", get(src + "/bias"));
    if (with_filter) out.set(dst + ".resample_filter", filter_.clone());
    if (noise >= 0)
      out.set(dst + ".noise_const", leading("synthesis/noise" + std::to_string(noise), 2));
    out.set(dst + ".affine.weight", dense(src + "/mod_weight"));
    out.set(dst + ".affine.bias", get(src + "/mod_bias") + 1);
  }

  void block(int64_t res) {
    const auto b = "synthesis.b" + std::to_string(res);
    const auto s = "synthesis/" + std::to_string(res) + "x" + std::to_string(res);
    const auto log2 = static_cast<int64_t>(std::lround(std::log2(static_cast<double>(res))));
    if (res == 4) out.set(b + ".const", leading(s + "/Const/const", 1));
    out.set(b + ".resample_filter", filter_.clone());
    if (res == 4) {
      layer(b + ".conv1", s + "/Conv", false, true, 0);
    } else {
      layer(b + ".conv0", s + "/Conv0_up", true, true, 2 * log2 - 5);
      layer(b + ".conv1", s + "/Conv1", false, true, 2 * log2 - 4);
    }
    if (has(s + "/ToRGB/weight")) layer(b + ".torgb", s + "/ToRGB", false, false, -1);
    if (has(s + "/Skip/weight")) {
      out.set(b + ".skip.weight", conv(s + "/Skip/weight", true));
      out.set(b + ".skip.resample_filter", filter_.clone());
    }
  }

  core::TensorDict out;

 private:
  const Variables& vars_;
  std::string where_;
  torch::Tensor filter_;
};

}  // namespace

bool is_tf_network_pickle(const pk::Value& root) {
  return root.is(pk::Kind::kTuple) && root.items.size() == 3 &&
         root.items[2]->is(pk::Kind::kObject) && root.items[2]->text == kNetworkClass;
}

std::pair<nlohmann::json, core::TensorDict> import_tf_pickle(const pk::Value& root,
                                                             const std::string& name,
                                                             const std::string& path) {
  const auto& net = *root.items[name == "G" ? 0 : 2];
  if (!net.is(pk::Kind::kObject) || net.text != kNetworkClass || !net.state ||
      !net.state->is(pk::Kind::kDict))
    throw InputError(path + ": " + name + " is not a TensorFlow network state");
  const auto version = net.state->find("version");
  if (!version || !version->is(pk::Kind::kInt) || version->integer < 4)
    throw InputError(path + ": a TensorFlow network older than StyleGAN2's (version < 4)");
  const auto sk = net.state->find("static_kwargs");
  auto kwargs =
      tf_kwargs(sk ? pickled_json(*sk, path + ": static_kwargs") : nlohmann::json::object(), path);
  if (kwargs["c_dim"] != 0) throw InputError(path + ": conditional generators are not supported");
  Variables vars;
  int64_t visits = 0;
  collect_variables(net, "", vars, path, visits);
  for (const auto& [k, v] : vars)
    if (k.rfind("synthesis/ToRGB_lod", 0) == 0)
      throw InputError(path + ": 'orig'-architecture TensorFlow networks are not supported");
  TfMapper map(vars, path);
  const auto& res = kwargs["img_resolution"];
  if (!res.is_number_integer() || res.get<int64_t>() < 4 || res.get<int64_t>() > 4096 ||
      (res.get<int64_t>() & (res.get<int64_t>() - 1)) != 0)
    throw InputError(path + ": resolution " + res.dump() + " is not a power of two in [4, 4096]");
  for (int64_t r = 4; r <= res.get<int64_t>(); r *= 2) map.block(r);
  map.out.set("mapping.w_avg", map.get("dlatent_avg"));
  const auto& layers = kwargs["mapping_kwargs"]["num_layers"];
  if (!layers.is_number_integer() || layers.get<int64_t>() < 1 || layers.get<int64_t>() > 64)
    throw InputError(path + ": mapping_layers " + layers.dump() + " is not in [1, 64]");
  for (int64_t i = 0; i < layers.get<int64_t>(); ++i) {
    const auto fc = "mapping.fc" + std::to_string(i), dense = "mapping/Dense" + std::to_string(i);
    map.out.set(fc + ".weight", map.dense(dense + "/weight"));
    map.out.set(fc + ".bias", map.get(dense + "/bias"));
  }
  return {std::move(kwargs), std::move(map.out)};
}

}  // namespace lagm::models::stylegan2

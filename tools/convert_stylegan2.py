#!/usr/bin/env python3
"""Converts a StyleGAN2 generator to lagm's checkpoint format (.safetensors with its configuration).

Inputs:
  * an official stylegan2-ada-pytorch network pickle (.pkl; 'G_ema' is taken), read with a
    restricted unpickler that maps NVIDIA's persistent classes to inert stand-ins: no NVIDIA code is
    imported and the source text embedded in the pickle is never executed;
  * a TensorFlow StyleGAN2 pickle (config-f car/horse, TF-ADA): Gs is mapped by name with the kernel
    flips and +1 style biases of the official conversion, again without TensorFlow or NVIDIA code;
  * or a plain torch.save'd state dict (.pt/.pth) plus --kwargs JSON of the Generator's init arguments.

Usage:
  convert_stylegan2.py network.pkl G.safetensors [--psi 0.7] [--cutoff 8]
  convert_stylegan2.py state_dict.pt G.safetensors --kwargs init_kwargs.json
"""
import argparse
import collections
import copyreg
import io
import json
import os
import pickle
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import lagm_safetensors  # noqa: E402

BUFFER_NAMES = {"resample_filter", "noise_const", "w_avg"}


class PersistentStub:
    """What a persistent object unpickles to: its class name and its __dict__ state."""

    def __init__(self, meta):
        self.class_name = meta.get("class_name")
        self.version = meta.get("version")
        self.state = meta.get("state", {})

    def __setstate__(self, state):  # only reached by hand-made pickles
        self.state = state


class EasyDict(dict):
    pass


class TFNetwork:
    """What a dnnlib.tflib.network.Network unpickles to: its state dict (no TensorFlow needed)."""

    def __setstate__(self, state):
        self.state = state


def _reconstruct_persistent_obj(meta):
    return PersistentStub(meta)


def _load_storage_bytes(b):
    return torch.load(io.BytesIO(b), map_location="cpu")


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals a network pickle needs; refuses everything else."""

    SAFE_MODULE_PREFIXES = ("torch", "collections", "numpy", "copyreg", "_codecs")

    def find_class(self, module, name):
        if module.endswith("persistence") and name == "_reconstruct_persistent_obj":
            return _reconstruct_persistent_obj
        if module.endswith("dnnlib.util") and name == "EasyDict":
            return EasyDict
        if module.endswith("dnnlib.tflib.network") and name == "Network":
            return TFNetwork
        if module == "torch.storage" and name == "_load_from_bytes":
            return _load_storage_bytes
        if module == "builtins":
            if name == "getattr":  # bound-method hooks in LAGM's own pickles: dropped
                return lambda *args: None
            if name in ("set", "frozenset", "dict", "list", "tuple", "bytearray", "slice", "object", "int", "float"):
                return getattr(__import__("builtins"), name)
            raise pickle.UnpicklingError(f"refused global builtins.{name}")
        if module.startswith(self.SAFE_MODULE_PREFIXES):
            if module == "torch.utils.hooks" and name == "RemovableHandle":
                return lambda *a, **k: None
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused global {module}.{name}")


def flatten_state_dict(stub, prefix=""):
    """state_dict() of a stub module tree: own params, own persistent buffers, then children."""
    out = collections.OrderedDict()
    state = stub.state
    for name, p in state.get("_parameters", {}).items():
        if p is not None:
            out[prefix + name] = p.detach()
    skip = set(state.get("_non_persistent_buffers_set", ()))
    for name, b in state.get("_buffers", {}).items():
        if b is not None and name not in skip:
            out[prefix + name] = b
    for name, child in state.get("_modules", {}).items():
        if child is not None:
            out.update(flatten_state_dict(child, prefix + name + "."))
    return out


def plain(value):
    """EasyDicts, tuples and numpy scalars to JSON-able values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, torch.Tensor):
        return value.item()
    return value


GENERATOR_ARGS = ["z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs", "synthesis_kwargs"]


def generator_kwargs(stub):
    state = stub.state
    kwargs = dict(zip(GENERATOR_ARGS, state.get("_init_args", ()) or ()))
    kwargs.update(state.get("_init_kwargs", {}) or {})
    kwargs = plain(kwargs)
    if not kwargs:  # very old pickles: read the attributes instead
        kwargs = {k: plain(state[k]) for k in GENERATOR_ARGS[:5] if k in state}
    return kwargs


TF_KWARGS = {  # PyTorch name: (TF static_kwargs name, default)
    "z_dim": ("latent_size", 512), "c_dim": ("label_size", 0), "w_dim": ("dlatent_size", 512),
    "img_resolution": ("resolution", 1024), "img_channels": ("num_channels", 3)}
TF_MAPPING = {"num_layers": ("mapping_layers", 8), "embed_features": ("label_fmaps", None),
              "layer_features": ("mapping_fmaps", None), "activation": ("mapping_nonlinearity", "lrelu"),
              "lr_multiplier": ("mapping_lrmul", 0.01), "w_avg_beta": ("w_avg_beta", 0.995)}
TF_SYNTHESIS = {"channel_max": ("fmap_max", 512), "num_fp16_res": ("num_fp16_res", 0),
                "conv_clamp": ("conv_clamp", None), "architecture": ("architecture", "skip"),
                "use_noise": ("use_noise", True), "activation": ("nonlinearity", "lrelu")}
TF_IGNORED = {"truncation_psi", "truncation_cutoff", "style_mixing_prob", "structure", "conditioning", "fused_modconv"}


def tf_variables(net, prefix=""):
    out = {}
    for name, value in net.state.get("variables", []):
        out[prefix + name] = np.asarray(value)
    for cname, comp in net.state.get("components", {}).items():
        out.update(tf_variables(comp, prefix + cname + "/"))
    return out


def convert_tf(path, gs):
    """Gs of a TF StyleGAN2 pickle -> (state dict, init kwargs), by the name table above."""
    if gs.state.get("version", 0) < 4:
        raise SystemExit(f"{path}: TF network version {gs.state.get('version')} is older than StyleGAN2's")
    sk = dict(gs.state.get("static_kwargs", {}))
    for k in list(sk):
        known = {v[0] for v in list(TF_KWARGS.values()) + list(TF_MAPPING.values()) + list(TF_SYNTHESIS.values())}
        if k not in known and k not in TF_IGNORED and k not in ("fmap_base", "resample_kernel"):
            raise SystemExit(f"{path}: unknown TF static kwarg '{k}'")
    kw = {p: sk.get(t, d) for p, (t, d) in TF_KWARGS.items()}
    kw["mapping_kwargs"] = {p: sk.get(t, d) for p, (t, d) in TF_MAPPING.items()}
    if kw["mapping_kwargs"]["w_avg_beta"] is None:
        kw["mapping_kwargs"]["w_avg_beta"] = 1
    syn = {p: sk.get(t, d) for p, (t, d) in TF_SYNTHESIS.items()}
    syn["channel_base"] = sk.get("fmap_base", 16384) * 2
    if list(sk.get("resample_kernel", [1, 3, 3, 1])) != [1, 3, 3, 1]:
        raise SystemExit(f"{path}: only resample_kernel [1, 3, 3, 1] is supported")
    kw["synthesis_kwargs"] = syn
    v = tf_variables(gs)
    if any(k.startswith("synthesis/ToRGB_lod") for k in v):
        raise SystemExit(f"{path}: 'orig'-architecture TF networks are not supported")
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).float()  # noqa: E731
    conv = lambda w, flip=False: t((w[::-1, ::-1] if flip else w).transpose(3, 2, 0, 1))  # noqa: E731
    f4 = torch.tensor([1.0, 3.0, 3.0, 1.0])
    f4 = torch.outer(f4, f4) / 64
    sd = collections.OrderedDict()
    res_log2 = int(np.log2(kw["img_resolution"]))

    def layer(dst, src, noise=None, flip=False, res=None):
        sd[dst + ".weight"] = conv(v[src + "/weight"], flip)
        if src + "/noise_strength" in v:
            sd[dst + ".noise_strength"] = t(v[src + "/noise_strength"]).reshape([])
        sd[dst + ".bias"] = t(v[src + "/bias"])
        if res is not None:
            sd[dst + ".resample_filter"] = f4.clone()
            if noise is not None:
                sd[dst + ".noise_const"] = t(v[f"synthesis/noise{noise}"][0, 0])
        sd[dst + ".affine.weight"] = t(v[src + "/mod_weight"].T)
        sd[dst + ".affine.bias"] = t(v[src + "/mod_bias"] + 1)

    for r_log2 in range(2, res_log2 + 1):
        r = 2 ** r_log2
        b, s = f"synthesis.b{r}", f"synthesis/{r}x{r}"
        if r == 4:
            sd[b + ".const"] = t(v[s + "/Const/const"][0])
        sd[b + ".resample_filter"] = f4.clone()
        if r == 4:
            layer(b + ".conv1", s + "/Conv", noise=0, res=r)
        else:
            layer(b + ".conv0", s + "/Conv0_up", noise=2 * r_log2 - 5, flip=True, res=r)
            layer(b + ".conv1", s + "/Conv1", noise=2 * r_log2 - 4, res=r)
        if s + "/ToRGB/weight" in v:
            layer(b + ".torgb", s + "/ToRGB")
        if s + "/Skip/weight" in v:
            sd[b + ".skip.weight"] = conv(v[s + "/Skip/weight"], flip=True)
            sd[b + ".skip.resample_filter"] = f4.clone()
    sd["mapping.w_avg"] = t(v["dlatent_avg"])
    for i in range(kw["mapping_kwargs"]["num_layers"]):
        sd[f"mapping.fc{i}.weight"] = t(v[f"mapping/Dense{i}/weight"].T)
        sd[f"mapping.fc{i}.bias"] = t(v[f"mapping/Dense{i}/bias"])
    return sd, kw


def load_pickle(path):
    with open(path, "rb") as f:
        data = RestrictedUnpickler(f).load()
    if isinstance(data, tuple) and len(data) == 3 and isinstance(data[2], TFNetwork):
        return convert_tf(path, data[2])
    if not isinstance(data, dict) or "G_ema" not in data:
        raise SystemExit(f"{path}: expected a network pickle with a 'G_ema' entry")
    g = data["G_ema"]
    if not isinstance(g, PersistentStub) or g.class_name != "Generator":
        raise SystemExit(f"{path}: 'G_ema' is not a persistent Generator")
    return flatten_state_dict(g), generator_kwargs(g)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", help="network .pkl, or a torch.save'd state dict with --kwargs")
    ap.add_argument("dest", help="output .safetensors")
    ap.add_argument("--kwargs", help="JSON file of the Generator init kwargs (for a plain state dict)")
    ap.add_argument("--psi", type=float, default=0.7, help="default truncation psi stored with the weights")
    ap.add_argument("--cutoff", default="8", help="default truncation cutoff (ws indices) or 'none'")
    args = ap.parse_args(argv)

    if args.kwargs:
        state = torch.load(args.source, map_location="cpu")
        if not isinstance(state, dict):
            raise SystemExit(f"{args.source}: expected a state dict")
        with open(args.kwargs) as f:
            kwargs = json.load(f)
    else:
        state, kwargs = load_pickle(args.source)
    if kwargs.get("c_dim", 0):
        raise SystemExit(f"{args.source}: conditional generators (c_dim={kwargs['c_dim']}) are not supported")
    tensors = collections.OrderedDict((k, v.float().contiguous() if v.is_floating_point() else v.contiguous())
                                      for k, v in state.items())
    cutoff = None if args.cutoff in ("none", "null", "") else int(args.cutoff)
    meta = {"kind": "stylegan2", "config": kwargs, "extra": {"truncation_psi": args.psi, "truncation_cutoff": cutoff}}
    lagm_safetensors.save(tensors, args.dest, {"lagm": json.dumps(meta), "format": "pt"})
    print(f"{args.dest}: {len(tensors)} tensors, config {json.dumps(kwargs)}")


if __name__ == "__main__":
    main()

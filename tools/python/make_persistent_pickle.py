#!/usr/bin/env python3
"""Test fixture: writes a network pickle in stylegan2-ada-pytorch's persistent format from a flat
state dict and init kwargs, without NVIDIA code (stand-in modules named as NVIDIA's are).

Usage: make_persistent_pickle.py weights.safetensors PREFIX kwargs.json out.pkl
"""
import collections
import json
import os
import pickle
import sys
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lagm_safetensors  # noqa: E402

# Stand-ins registered under NVIDIA's module names so that pickle records those names.
persistence = types.ModuleType("torch_utils.persistence")
dnnlib_util = types.ModuleType("dnnlib.util")
sys.modules.update({"torch_utils": types.ModuleType("torch_utils"), "torch_utils.persistence": persistence,
                    "dnnlib": types.ModuleType("dnnlib"), "dnnlib.util": dnnlib_util})


def _reconstruct_persistent_obj(meta):
    raise RuntimeError("never called when writing")


_reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj


class EasyDict(dict):
    pass


EasyDict.__module__ = "dnnlib.util"
EasyDict.__qualname__ = "EasyDict"
dnnlib_util.EasyDict = EasyDict

BUFFERS = {"resample_filter", "noise_const", "w_avg"}
CLASS_OF = {"": "Generator", "synthesis": "SynthesisNetwork", "mapping": "MappingNetwork"}


class Persistent:
    def __init__(self, meta):
        self.meta = meta

    def __reduce__(self):
        return (_reconstruct_persistent_obj, (self.meta,), None)


def class_name(path):
    last = path.split(".")[-1] if path else ""
    if path in CLASS_OF:
        return CLASS_OF[path]
    if last.startswith("b") and last[1:].isdigit():
        return "SynthesisBlock"
    if last in ("conv0", "conv1"):
        return "SynthesisLayer"
    if last == "torgb":
        return "ToRGBLayer"
    if last == "skip":
        return "Conv2dLayer"
    return "FullyConnectedLayer"


def build(tree, path, kwargs):
    params, buffers, children = collections.OrderedDict(), collections.OrderedDict(), collections.OrderedDict()
    for name, value in tree.items():
        if isinstance(value, dict):
            children[name] = build(value, f"{path}.{name}" if path else name, None)
        elif name in BUFFERS:
            buffers[name] = value
        else:
            params[name] = torch.nn.Parameter(value, requires_grad=False)
    state = {"training": False, "_parameters": params, "_buffers": buffers, "_non_persistent_buffers_set": set(),
             "_backward_hooks": collections.OrderedDict(), "_forward_hooks": collections.OrderedDict(),
             "_forward_pre_hooks": collections.OrderedDict(), "_state_dict_hooks": collections.OrderedDict(),
             "_load_state_dict_pre_hooks": collections.OrderedDict(), "_modules": children,
             "_init_args": (), "_init_kwargs": kwargs or EasyDict()}
    return Persistent({"type": "class", "version": 6, "module_src": "raise RuntimeError('must never run')\n",
                       "class_name": class_name(path), "state": state})


def to_easydict(v):
    return EasyDict({k: to_easydict(x) for k, x in v.items()}) if isinstance(v, dict) else v


def main():
    weights, prefix, kwargs_path, out = sys.argv[1:5]
    tensors, _ = lagm_safetensors.load(weights)
    tree = collections.OrderedDict()
    for name, t in tensors.items():
        if not name.startswith(prefix):
            continue
        node = tree
        parts = name[len(prefix):].split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, collections.OrderedDict())
        node[parts[-1]] = t
    with open(kwargs_path) as f:
        kwargs = to_easydict(json.load(f))
    g = build(tree, "", kwargs)
    with open(out, "wb") as f:
        pickle.dump({"training_set_kwargs": None, "G": g, "D": None, "G_ema": g, "augment_pipe": None}, f, protocol=4)


if __name__ == "__main__":
    main()

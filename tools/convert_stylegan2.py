#!/usr/bin/env python3
"""Converts a StyleGAN2 generator to lagm's checkpoint format (.safetensors with its configuration).

Inputs:
  * an official stylegan2-ada-pytorch network pickle (.pkl; 'G_ema' is taken), read with a
    restricted unpickler that maps NVIDIA's persistent classes to inert stand-ins: no NVIDIA code is
    imported and the source text embedded in the pickle is never executed;
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


def load_pickle(path):
    with open(path, "rb") as f:
        data = RestrictedUnpickler(f).load()
    if isinstance(data, tuple) and len(data) == 3:
        raise SystemExit(f"{path}: a TensorFlow StyleGAN2 pickle; convert it to a stylegan2-ada-pytorch pickle "
                         "with NVIDIA's legacy.py first (TF pickles are not supported yet)")
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

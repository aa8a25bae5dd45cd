#!/usr/bin/env python3
"""Pickles written by Python itself for the native reader's tests (Debian's python3 and
python3-torch, numpy), each with what it must read back.

  values OUT_DIR   values_p2.pkl .. values_p5.pkl: one structure of plain values, torch tensors
                   (views, strides, offsets, dtypes), numpy arrays (C and Fortran order, both byte
                   orders) and scalars at each protocol; expected.json (its plain part) and
                   expected.safetensors (its tensors, contiguous)
  legacy OUT_DIR   legacy.pt: torch.save of an OrderedDict of tensors in the pre-1.6 format;
                   legacy.safetensors the same tensors
  module-bomb OUT  a network pickle whose Generator reaches one module over 2^40 paths (each level's
                   two children are the same module): small, and endless to walk path by path
  broadcast OUT    a pickled tensor of 2^31 elements that views one (stride 0), which a reader
                   that copies it would need 8 GiB for
"""
import collections
import json
import os
import pickle
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools",
                                "python"))
import lagm_safetensors  # noqa: E402


def tensors():
    torch.manual_seed(0)
    base = torch.randn(4, 6)
    return collections.OrderedDict([
        ("plain", torch.randn(3, 5)),
        ("offset_view", base[1:3]),                 # storage offset 6
        ("transposed", base.t()),                   # strides (1, 6)
        ("float64", torch.randn(2, 3, dtype=torch.float64)),
        ("float16", torch.randn(7).half()),
        ("int64", torch.arange(-3, 9).reshape(3, 4)),
        ("bool", torch.tensor([True, False, True])),
        ("scalar", torch.tensor(2.5)),
        ("parameter", torch.nn.Parameter(torch.randn(2, 2), requires_grad=False)),
    ])


def arrays():
    rng = np.random.default_rng(0)
    c = rng.standard_normal((3, 4)).astype(np.float32)
    return collections.OrderedDict([
        ("np_c", c),
        ("np_fortran", np.asfortranarray(rng.standard_normal((2, 3, 4)))),
        ("np_big_endian", c.astype(">f4")),
        ("np_int", np.arange(10, dtype=np.int64).reshape(2, 5)),
        ("np_uint8", np.arange(6, dtype=np.uint8)),
    ])


PLAIN = collections.OrderedDict([
    ("none", None), ("true", True), ("false", False),
    ("small", 7), ("negative", -300), ("int32", 2**31 - 1), ("int64", -2**62), ("float", 0.1),
    ("text", "héllo wörld ✓"), ("list", [1, [2, 3], (4, 5)]), ("tuple", (1.5, "a")),
    ("nested", collections.OrderedDict([("b", {"c": [None, True]})])),
])


def values(out_dir):
    t, a = tensors(), arrays()
    obj = collections.OrderedDict(PLAIN)
    obj["bytes"] = b"\x00\x01\xff"
    obj["set"] = {3}
    obj["frozenset"] = frozenset([4])
    obj["np_scalar"] = np.float64(0.25)
    obj["np_int_scalar"] = np.int64(-5)
    obj["shared"] = [t["plain"], t["plain"]]
    obj["tensors"] = t
    obj["arrays"] = a
    for protocol in (2, 3, 4, 5):
        with open(f"{out_dir}/values_p{protocol}.pkl", "wb") as f:
            pickle.dump(obj, f, protocol=protocol)
    expected = dict(PLAIN)
    expected["np_scalar"], expected["np_int_scalar"] = 0.25, -5
    with open(f"{out_dir}/expected.json", "w") as f:
        json.dump(expected, f, ensure_ascii=False)
    flat = {k: v.detach().contiguous() for k, v in t.items()}
    flat.update({k: torch.from_numpy(np.ascontiguousarray(v.astype(v.dtype.newbyteorder("="))))
                 for k, v in a.items()})
    lagm_safetensors.save(flat, f"{out_dir}/expected.safetensors", {})


def legacy(out_dir):
    t = collections.OrderedDict((k, v.detach()) for k, v in tensors().items() if k != "bool")
    torch.save(t, f"{out_dir}/legacy.pt", _use_new_zipfile_serialization=False)
    lagm_safetensors.save({k: v.contiguous() for k, v in t.items()}, f"{out_dir}/legacy.safetensors", {})


def broadcast(out):
    with open(out, "wb") as f:
        pickle.dump({"G_ema": torch.zeros(1).expand(2**31)}, f, protocol=4)


def module_bomb(out):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools",
                                    "python"))
    import make_persistent_pickle as persistent

    def module(name, children):
        state = {"training": False, "_parameters": collections.OrderedDict(), "_buffers": collections.OrderedDict(),
                 "_modules": children, "_init_args": (), "_init_kwargs": persistent.EasyDict(z_dim=4)}
        return persistent.Persistent({"type": "class", "version": 6, "module_src": "", "class_name": name,
                                      "state": state})
    node = module("FullyConnectedLayer", collections.OrderedDict())
    for _ in range(40):
        node = module("SynthesisBlock", collections.OrderedDict([("a", node), ("b", node)]))
    with open(out, "wb") as f:
        pickle.dump({"G_ema": module("Generator", collections.OrderedDict([("synthesis", node)]))}, f, protocol=4)


if __name__ == "__main__":
    {"values": values, "legacy": legacy, "broadcast": broadcast, "module-bomb": module_bomb}[sys.argv[1]](*sys.argv[2:])

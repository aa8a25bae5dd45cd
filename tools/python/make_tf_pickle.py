#!/usr/bin/env python3
"""Test fixture: writes a TensorFlow-StyleGAN2-style network pickle ((G, D, Gs) of
dnnlib.tflib.network.Network states with numpy variables in TF layouts) from a PyTorch state dict, by
inverting the name mapping of tools/convert_stylegan2.py. No TensorFlow involved.

Usage: make_tf_pickle.py weights.safetensors PREFIX kwargs.json out.pkl
"""
import json
import os
import pickle
import sys
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lagm_safetensors  # noqa: E402

mod = types.ModuleType("dnnlib.tflib.network")
sys.modules.update({"dnnlib": types.ModuleType("dnnlib"), "dnnlib.tflib": types.ModuleType("dnnlib.tflib"),
                    "dnnlib.tflib.network": mod})


class Network:
    def __init__(self, state):
        self.state = state

    def __getstate__(self):
        return self.state


Network.__module__ = "dnnlib.tflib.network"
mod.Network = Network


def main():
    weights, prefix, kwargs_path, out = sys.argv[1:5]
    t, _ = lagm_safetensors.load(weights)
    sd = {k[len(prefix):]: v.numpy() for k, v in t.items() if k.startswith(prefix)}
    kw = json.load(open(kwargs_path))
    conv = lambda w, flip=False: (w.transpose(2, 3, 1, 0)[::-1, ::-1] if flip else w.transpose(2, 3, 1, 0)).copy()  # noqa
    mapping, synthesis = [], []
    for k, v in sd.items():
        parts = k.split(".")
        if parts[0] == "mapping" and parts[1].startswith("fc"):
            i = parts[1][2:]
            mapping.append((f"Dense{i}/{parts[2]}", v.T.copy() if parts[2] == "weight" else v))
        if parts[0] != "synthesis":
            continue
        r = int(parts[1][1:])
        s = f"{r}x{r}"
        if parts[2] == "const":
            synthesis.append((f"{s}/Const/const", v[None]))
            continue
        if parts[2] not in ("conv0", "conv1", "torgb", "skip"):
            continue
        layer = {"conv0": "Conv0_up", "conv1": "Conv1" if r > 4 else "Conv", "torgb": "ToRGB", "skip": "Skip"}[parts[2]]
        field = ".".join(parts[3:])
        if field == "weight":
            synthesis.append((f"{s}/{layer}/weight", conv(v, flip=parts[2] in ("conv0", "skip"))))
        elif field in ("bias", "noise_strength"):
            synthesis.append((f"{s}/{layer}/{field}", v))
        elif field == "affine.weight":
            synthesis.append((f"{s}/{layer}/mod_weight", v.T.copy()))
        elif field == "affine.bias":
            synthesis.append((f"{s}/{layer}/mod_bias", v - 1))
        elif field == "noise_const":
            k2 = 0 if r == 4 else 2 * int(np.log2(r)) - (5 if parts[2] == "conv0" else 4)
            synthesis.append((f"noise{k2}", v[None, None]))
    sk = {"latent_size": kw["z_dim"], "dlatent_size": kw["w_dim"], "resolution": kw["img_resolution"],
          "num_channels": kw["img_channels"], "mapping_layers": kw["mapping_kwargs"]["num_layers"],
          "fmap_base": kw["synthesis_kwargs"]["channel_base"] // 2, "fmap_max": kw["synthesis_kwargs"]["channel_max"],
          "truncation_psi": 0.5}
    comp = lambda name, variables: Network({"version": 4, "name": name, "static_kwargs": {}, "components": {},  # noqa
                                            "build_module_src": "raise RuntimeError('never run')",
                                            "build_func_name": "G_" + name, "variables": variables})
    gs = Network({"version": 4, "name": "G_synthesis", "static_kwargs": sk,
                  "components": {"mapping": comp("mapping", mapping), "synthesis": comp("synthesis", synthesis)},
                  "build_module_src": "raise RuntimeError('never run')", "build_func_name": "G_main",
                  "variables": [("dlatent_avg", sd["mapping.w_avg"])]})
    with open(out, "wb") as f:
        pickle.dump((gs, gs, gs), f, protocol=3)


if __name__ == "__main__":
    main()

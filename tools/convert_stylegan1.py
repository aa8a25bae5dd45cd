#!/usr/bin/env python3
"""Converts DatasetGAN's StyleGAN1 checkpoints to lagm's format (.safetensors with configuration).

  convert_stylegan1.py karras2019stylegan-cars-512x384.for_g_all.pt avg_latent_stylegan1.npy G.safetensors \
      --resolution 512 --cutoff 8 [--psi 0.7] [--fmap-base 8192 --fmap-max 512]

The .pt is an old torch.save of an OrderedDict (g_mapping.*, g_synthesis.*), which LibTorch cannot
read; the .npy holds the average latent ([512] or [1, 18, 512]) that becomes truncation.avg_latent.
Only tensors are read (torch.load with weights_only where available).
"""
import argparse
import collections
import inspect
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import lagm_safetensors  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="DatasetGAN .for_g_all.pt")
    ap.add_argument("avg_latent", help="average latent .npy")
    ap.add_argument("dest", help="output .safetensors")
    ap.add_argument("--resolution", type=int, required=True, help="synthesis resolution (256 cat, 512 car, 1024 face)")
    ap.add_argument("--cutoff", type=int, default=8, help="truncation max layer (8 face/car, 7 cat)")
    ap.add_argument("--psi", type=float, default=0.7)
    ap.add_argument("--fmap-base", type=int, default=8192)
    ap.add_argument("--fmap-max", type=int, default=512)
    ap.add_argument("--noise-seed", type=int, default=0, help="seed of the const noise mode's per-layer noise")
    args = ap.parse_args(argv)

    kwargs = {"map_location": "cpu"}
    if "weights_only" in inspect.signature(torch.load).parameters:
        kwargs["weights_only"] = True
    state = torch.load(args.checkpoint, **kwargs)
    if not isinstance(state, dict):
        raise SystemExit(f"{args.checkpoint}: expected a state dict")
    tensors = collections.OrderedDict()
    for k, v in state.items():
        if not (k.startswith("g_mapping.") or k.startswith("g_synthesis.")):
            raise SystemExit(f"{args.checkpoint}: unexpected key '{k}' (expected g_mapping.* / g_synthesis.*)")
        tensors[k] = v.float().contiguous()
    avg = np.load(args.avg_latent).astype(np.float32)
    if avg.shape not in ((512,), (1, 18, 512), (18, 512)):
        raise SystemExit(f"{args.avg_latent}: average latent of shape {avg.shape}, expected [512] or [1, 18, 512]")
    if avg.shape == (18, 512):
        avg = avg[None]
    tensors["truncation.avg_latent"] = torch.from_numpy(avg.copy())
    config = {"resolution": args.resolution, "fmap_base": args.fmap_base, "fmap_max": args.fmap_max,
              "truncation_psi": args.psi, "truncation_max_layer": args.cutoff,
              "avg_latent_layers": 18 if avg.ndim == 3 else 0, "noise_const_seed": args.noise_seed}
    meta = {"kind": "stylegan1", "config": config, "extra": {"truncation_psi": args.psi, "truncation_cutoff": args.cutoff}}
    lagm_safetensors.save(tensors, args.dest, {"lagm": json.dumps(meta), "format": "pt"})
    print(f"{args.dest}: {len(tensors)} tensors, config {json.dumps(config)}")


if __name__ == "__main__":
    main()

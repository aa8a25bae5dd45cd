#!/usr/bin/env python3
"""Converts between torch.save'd state dicts and lagm's .safetensors checkpoints, both ways.

  convert_torch_state_dict.py resnet101-63fe2227.pth resnet101.safetensors
      any state dict (or a dict holding one under 'state_dict'/'model') -> safetensors; e.g. torchvision's
      ImageNet ResNet-101 for `--backbone-weights` of DeepLab segmenters.
  convert_torch_state_dict.py --kind unet --config '{"arch":"unet","num_classes":8}' S.pth S.safetensors
      the same, with lagm metadata so that lagm commands can load it as that kind.
  convert_torch_state_dict.py --to-torch S.safetensors S.pth
      back to a plain {name: tensor} dict for PyTorch users (zip format, loadable by LibTorch too).
"""
import argparse
import collections
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import lagm_safetensors  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source")
    ap.add_argument("dest")
    ap.add_argument("--to-torch", action="store_true", help="safetensors -> torch.save'd dict")
    ap.add_argument("--kind", help="lagm module kind to record (unet, deeplabv3_resnet101, fpn, stylegan2, ...)")
    ap.add_argument("--config", help="JSON configuration of that kind")
    ap.add_argument("--prefix", default="", help="keep only keys with this prefix and strip it (e.g. 'module.')")
    args = ap.parse_args(argv)

    if args.to_torch:
        tensors, meta = lagm_safetensors.load(args.source)
        torch.save(dict(tensors), args.dest)
        print(f"{args.dest}: {len(tensors)} tensors" + (f", metadata {meta}" if meta else ""))
        return
    state = torch.load(args.source, map_location="cpu")
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SystemExit(f"{args.source}: not a state dict of tensors")
    tensors = collections.OrderedDict((k[len(args.prefix):], v) for k, v in state.items() if k.startswith(args.prefix))
    meta = None
    if args.kind:
        config = json.loads(args.config) if args.config else {}
        meta = {"lagm": json.dumps({"kind": args.kind, "config": config}), "format": "pt"}
    lagm_safetensors.save(tensors, args.dest, meta)
    print(f"{args.dest}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()

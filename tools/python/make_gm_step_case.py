#!/usr/bin/env python3
"""Writes a `lagm_gm_step` golden case whose segmenter is LAGM's DeepLabv3 wrapper around torchvision
(head-only matching `.*classifier.*`), computed with Debian's PyTorch by a Python transcription of
the loop as tests/golden/reference/README.md specifies it. The frozen generator is replaced by given
images and block features (case.json "generator": {"given": true}; inputs in.t.given.*), since only
its outputs enter the loop. Test fixture; the product never runs Python.

Usage: make_gm_step_case.py OUT_DIR resnet50|resnet101 [--seed S] [--batch B] [--size PX] [--fpn-width W]
                             [--a-lr LR] [--float64] [--threads N]

--float64 runs the whole loop in double precision (from the same float32 weights and inputs) and keeps
its outputs in float64; the case says "compute_dtype": "float64", so that lagm runs it in double
precision too, with tight tolerances. Why: in float32 this loop over a randomly initialised DeepLab is
ill-conditioned (the reference's own float32 result differs from its float64 one by 3-8 % on the ASPP
gradients, and by 15 % or more on the annotator's), so float32 cases only hold where both sides sum in
the same order; a float64 case holds whatever the order or thread count.
"""
import argparse
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lagm_safetensors  # noqa: E402
from make_deeplab_case import DeepLabWrapper  # noqa: E402
import torchvision  # noqa: E402
from reference_gm import FPN, gm_iteration  # noqa: E402

SHAPES = [[16, 4, 4], [16, 8, 8], [8, 16, 16], [8, 32, 32]]
K, T = 4, 2


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("depth", choices=["resnet50", "resnet101"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--fpn-width", type=int, default=8)
    ap.add_argument("--a-lr", type=float, default=1e-2)
    ap.add_argument("--float64", action="store_true")
    ap.add_argument("--threads", type=int, default=0)
    return ap.parse_args()


def main():
    args = parse_args()
    out_dir, depth, B, size, TMP = args.out_dir, args.depth, args.batch, args.size, args.fpn_width
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    dtype = torch.float64 if args.float64 else torch.float32
    torch.manual_seed(args.seed)
    A = FPN(SHAPES, TMP, K)
    S = DeepLabWrapper(getattr(torchvision.models.segmentation, f"deeplabv3_{depth}"), K)
    S.main_net.classifier[0].project[3].p = 0.0
    weights = {"A." + k: v.clone() for k, v in A.state_dict().items()}
    weights.update({"S." + k: v.clone() for k, v in S.state_dict().items()})
    A.to(dtype), S.to(dtype)
    regex = ".*classifier.*"
    gm_params = [p for n, p in S.named_parameters() if re.fullmatch(regex, n)]
    opt_a = torch.optim.SGD(A.parameters(), lr=args.a_lr, momentum=0.9)
    opt_s = torch.optim.SGD(S.parameters(), lr=1e-3, momentum=0.9)
    io = {}
    A.train(), S.train()
    A.requires_grad_(True), S.requires_grad_(True)

    def given(t, phase):
        img = torch.rand(B, 3, size, size) * 2 - 1
        feats = [torch.randn(B, *s) for s in SHAPES]
        io[f"in.{t}.given.syn_img_{phase}"] = img
        for i, f in enumerate(feats):
            io[f"in.{t}.given.features_{phase}.{i}"] = f
        io[f"in.{t}.syn_z_{phase}"] = torch.zeros(B, 1)
        return img.to(dtype), [f.to(dtype) for f in feats]

    for t in range(T):
        lbl_img = torch.rand(B, 3, size, size) * 2 - 1
        lbl_mask = torch.randint(0, K, (B, size, size))
        io[f"in.{t}.lbl_img"], io[f"in.{t}.lbl_mask"] = lbl_img, lbl_mask
        lbl_img = lbl_img.to(dtype)
        r = gm_iteration(A, S, gm_params, opt_a, opt_s, lbl_img, lbl_mask, lambda phase: given(t, phase),
                         keep=True)
        for n, g in r["grad.A"].items():
            io[f"out.{t}.grad.A.{n}"] = g
        for name in ("loss_lbl", "loss_syn_A", "loss_gm", "loss_syn_S"):
            io[f"out.{t}.{name}"] = r[name].detach().reshape(1)
        io[f"out.{t}.syn_img_A"] = r["syn_img_A"]
        io[f"out.{t}.auto_label_A"] = r["auto_label_A"]
        io.update({f"out.{t}.state.A.{k}": v.clone() for k, v in A.state_dict().items()})
        io.update({f"out.{t}.state.S.{k}": v.clone() for k, v in S.state_dict().items()})

    if not args.float64:
        io = {k: v.float() if v.is_floating_point() else v for k, v in io.items()}
    os.makedirs(out_dir, exist_ok=True)
    lagm_safetensors.save(weights, os.path.join(out_dir, "weights.safetensors"))
    lagm_safetensors.save(io, os.path.join(out_dir, "io.safetensors"))
    case = {"kind": "lagm_gm_step", "generator": {"given": True}, "feature_shapes": SHAPES,
            "truncation_psi": 1.0, "truncation_cutoff": None, "noise_mode": "none", "num_classes": K,
            "annotator": {"arch": "fpn", "tmp_channels": TMP, "num_layers": 3},
            "segmenter": {"arch": f"deeplabv3_{depth}"}, "aspp_dropout": 0.0, "gm_params_regex": regex,
            "matcher": {"metric": "cosine", "reduction": "mean"},
            "annotator_optimizer": {"kind": "sgd", "lr": args.a_lr, "momentum": 0.9},
            "segmenter_optimizer": {"kind": "sgd", "lr": 1e-3, "momentum": 0.9},
            "iterations": T, "batch": B,
            "note": f"tools/python/make_gm_step_case.py {depth} seed {args.seed}, "
                    f"{'float64' if args.float64 else 'float32'}, torch {torch.__version__}",
            "compute_dtype": "float64" if args.float64 else "float32",
            "tolerance": ({"loss_rtol": 1e-9, "grad_rtol": 1e-6, "grad_atol_frac": 1e-9, "state_rtol": 1e-8,
                           "state_atol": 1e-10} if args.float64 else
                          {"loss_rtol": 1e-4, "grad_rtol": 1e-3, "grad_atol_frac": 1e-5, "state_rtol": 1e-4,
                           "state_atol": 1e-5})}
    with open(os.path.join(out_dir, "case.json"), "w") as f:
        json.dump(case, f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks lagm's native pickle reader against NVIDIA's own code: with a stylegan2-ada-pytorch checkout
(not part of lagm; its licence forbids vendoring), writes a network pickle of a small random Generator
made by its networks.Generator and persistence, draws images from it with NVIDIA's code (const noise,
psi 0.7, fp32), has lagm draw the same seeds straight from the pickle, and compares the 8-bit images.

Usage: check_nvidia_pickle.py STYLEGAN2_ADA_PYTORCH_DIR LAGM_BINARY OUT_DIR
Also compares each synthesis block's features (the reference's taps) with `lagm generate --features`.
Exits 1 when a value differs by more than one level, more than 1 in 1000 values differ, or a feature
by 1e-4 relative to (1 + its map's largest value).
"""
import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import torch
from PIL import Image


def main(repo, lagm, out):
    sys.path.insert(0, repo)
    import dnnlib
    from training import networks
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    kwargs = dict(z_dim=32, c_dim=0, w_dim=32, img_resolution=32, img_channels=3,
                  mapping_kwargs=dnnlib.EasyDict(num_layers=2),
                  synthesis_kwargs=dnnlib.EasyDict(channel_base=256, channel_max=32, num_fp16_res=2,
                                                   conv_clamp=256))
    g = networks.Generator(**kwargs).eval().requires_grad_(False)
    with torch.no_grad():  # weights and buffers away from their initial values
        for p in g.parameters():
            p.add_(torch.randn_like(p) * 0.2)
        for name, b in g.named_buffers():
            if "noise_const" in name or "w_avg" in name:
                b.copy_(torch.randn_like(b))
    d = networks.Discriminator(c_dim=0, img_resolution=32, img_channels=3, channel_base=256, channel_max=32)
    snapshot = dict(training_set_kwargs=dnnlib.EasyDict(path="x.zip", resolution=32), G=copy.deepcopy(g),
                    D=d.eval().requires_grad_(False), G_ema=copy.deepcopy(g), augment_pipe=None)
    with open(f"{out}/network.pkl", "wb") as f:
        pickle.dump(snapshot, f)
    subprocess.run([lagm, "generate", "--generator", f"{out}/network.pkl", "--seeds", "0-7", "--psi", "0.7",
                    "--cutoff", "none", "--noise-mode", "const", "--out", f"{out}/grid.png", "--images",
                    f"{out}/lagm", "--features", f"{out}/features", "--threads", "1"], check=True)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
    import lagm_safetensors
    blocks = [getattr(g.synthesis, f"b{r}") for r in g.synthesis.block_resolutions]
    taps = []
    for block in blocks:  # the reference's tap: each synthesis block's output x
        block.register_forward_hook(lambda m, i, o: taps.append(o[0].float()))
    feature_error = 0.0
    worst, differing, total = 0, 0, 0
    for seed in range(8):
        z = torch.from_numpy(np.random.RandomState(seed).randn(1, 32))
        taps.clear()
        img = g(z, torch.zeros([1, 0]), truncation_psi=0.7, truncation_cutoff=None, noise_mode="const",
                force_fp32=True)
        got_features, _ = lagm_safetensors.load(f"{out}/features/seed{seed:06d}.safetensors")
        for i, want_f in enumerate(taps):
            got_f = got_features[f"features.{i}"].reshape(want_f.shape)
            feature_error = max(feature_error, float((got_f - want_f).abs().max() / (1 + want_f.abs().max())))
        want = (img.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8)[0].numpy().astype(int)
        got = np.array(Image.open(f"{out}/lagm/img/seed{seed:06d}.png").convert("RGB")).astype(int)
        diff = np.abs(got - want)
        worst, differing, total = max(worst, int(diff.max())), differing + int((diff > 0).sum()), total + diff.size
    # Float arithmetic in another order may put a value on the other side of a rounding boundary: one
    # level on a few pixels is that; more would be a different network.
    print(f"8 seeds: largest 8-bit difference {worst}, {differing} of {total} values differ; block features: "
          f"largest difference {feature_error:.2e} relative to (1 + the largest value)")
    return 0 if worst <= 1 and differing * 1000 <= total and feature_error < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))

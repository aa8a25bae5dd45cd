#!/usr/bin/env python3
"""What a PyTorch user writes to segment a folder with a network `lagm export` handed over: the
loop bench/predict_side_by_side.py times against `lagm predict`. Same steps as predict: each PNG
read as RGB, resized to the network's input size (PIL bicubic) when it differs, scaled to [-1, 1],
batched, the logits interpolated back to the image's size (bilinear, align_corners=False), argmax,
an 8-bit palette PNG per image.

    /usr/bin/python3 bench/reference_predict.py EXPORTED IMAGES OUT [--batch 8] [--threads N]

Prints one JSON line: images, seconds of the loop (start-up and loading excluded).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "python"))
import lagm_export  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("exported")
    p.add_argument("images")
    p.add_argument("out")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    model, manifest = lagm_export.load(a.exported)
    h, w = manifest["input"]["height"], manifest["input"]["width"]
    palette = [c for rgb in manifest["palette"] for c in rgb]
    names = sorted(n for n in os.listdir(a.images) if n.lower().endswith(".png"))
    os.makedirs(a.out, exist_ok=True)
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(names), a.batch):
            images = [Image.open(os.path.join(a.images, n)).convert("RGB") for n in names[i:i + a.batch]]
            sizes = [im.size for im in images]
            x = np.stack([np.asarray(im if im.size == (w, h) else im.resize((w, h), Image.BICUBIC))
                          for im in images])
            x = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 127.5 - 1
            logits = model(x)
            for n, (iw, ih), l in zip(names[i:i + a.batch], sizes, logits):
                if (iw, ih) != (w, h):
                    l = F.interpolate(l[None], size=(ih, iw), mode="bilinear", align_corners=False)[0]
                mask = Image.fromarray(l.argmax(0).to(torch.uint8).numpy(), mode="P")
                mask.putpalette(palette)
                mask.save(os.path.join(a.out, n))
    print(json.dumps({"images": len(names), "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()

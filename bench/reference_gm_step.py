#!/usr/bin/env python3
"""PyTorch timing of the same GM iteration as bench_gm_step's "no G" rows: Debian's PyTorch, a
Python transcription of the reference loop (tools/python/reference_gm.py, the one the golden cases
are made with; the U-Net below is the benchmark's own), random
features of the paper256-style generator's shapes, batch 2. Run with the same thread count:
    python3 bench/reference_gm_step.py [threads] [--device cuda] [--res 64,128]
"""
import os
import re
import sys
import time

import torch
import torch.nn.functional as F

# The reference's loop, transcribed once for the golden cases and this benchmark.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "python"))
from reference_gm import FPN, gm_iteration as reference_iteration  # noqa: E402

K, B = 8, 2


class UNetBlock(torch.nn.Module):
    def __init__(self, i, o, down=False, up=False):
        super().__init__()
        self.down, self.up = down, up
        self.conv1, self.bn1 = torch.nn.Conv2d(i, o, 3, padding=1), torch.nn.BatchNorm2d(o)
        self.conv2, self.bn2 = torch.nn.Conv2d(o, o, 3, padding=1), torch.nn.BatchNorm2d(o)

    def forward(self, x, skip=None):
        if self.down:
            x = F.max_pool2d(x, 2)
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
            x = torch.cat([skip, x], 1)
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))


class UNet(torch.nn.Module):
    def __init__(self, b=64):
        super().__init__()
        self.inc = UNetBlock(3, b)
        self.down1, self.down2 = UNetBlock(b, 2 * b, down=True), UNetBlock(2 * b, 4 * b, down=True)
        self.down3, self.down4 = UNetBlock(4 * b, 8 * b, down=True), UNetBlock(8 * b, 8 * b, down=True)
        self.up1, self.up2 = UNetBlock(16 * b, 4 * b, up=True), UNetBlock(8 * b, 2 * b, up=True)
        self.up3, self.up4 = UNetBlock(4 * b, b, up=True), UNetBlock(2 * b, b, up=True)
        self.outc = torch.nn.Conv2d(b, K, 1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x4 = self.down3(x3)
        x5 = self.down4(x4)
        return self.outc(self.up4(self.up3(self.up2(self.up1(x5, x4), x3), x2), x1))


def channels(res):
    return min(16384 // res, 512)


DEVICE = torch.device("cpu")


def median_seconds(step, reps):
    """Median wall time of `reps` calls of `step` after one warm-up call."""
    step()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def time_loop(res, arch, regex, iters=3, generator=None):
    """Median seconds of one GM iteration (gm_iteration)."""
    return median_seconds(gm_iteration(res, arch, regex, generator), iters)


def gm_iteration(res, arch, regex, generator=None):
    """One GM iteration (phase A + phase S) as a function of nothing, its networks built here;
    `generator` (reference_stylegan2.Generator) makes the synthetic images and features, else
    random tensors of its shapes stand in for it."""
    shapes = [[channels(r), r, r] for r in [4 * 2 ** i for i in range(20)] if r <= res]
    torch.manual_seed(0)

    def synthetic_batch():
        if generator is None:
            return (torch.rand(B, 3, res, res, device=DEVICE) * 2 - 1,
                    [torch.randn(B, *s, device=DEVICE) for s in shapes])
        with torch.no_grad():  # the generator is frozen
            return generator(torch.randn(B, 512))

    A = FPN(shapes, 128, K).to(DEVICE)
    if arch == "unet":
        S = UNet().to(DEVICE)
    else:  # torchvision only here: a PyTorch without it still times the U-Net rows
        import torchvision
        from make_deeplab_case import DeepLabWrapper
        S = DeepLabWrapper(torchvision.models.segmentation.deeplabv3_resnet101, K).to(DEVICE)
    gm = [p for n, p in S.named_parameters() if re.fullmatch(regex, n)]
    opt_a = torch.optim.SGD(A.parameters(), lr=1e-3, momentum=0.9)
    opt_s = torch.optim.SGD(S.parameters(), lr=1e-3, momentum=0.9)
    img = torch.rand(B, 3, res, res, device=DEVICE) * 2 - 1
    mask = torch.randint(0, K, (B, res, res), device=DEVICE)
    A.train(), S.train(), A.requires_grad_(True), S.requires_grad_(True)

    def iteration():
        reference_iteration(A, S, gm, opt_a, opt_s, img, mask, lambda phase: synthetic_batch())
        if DEVICE.type == "cuda":
            torch.cuda.synchronize()  # queued work belongs to this iteration

    return iteration


def main():
    global DEVICE
    args = sys.argv[1:]
    resolutions = (64, 128)
    if "--device" in args:
        i = args.index("--device")
        DEVICE = torch.device(args[i + 1])
        del args[i:i + 2]
    if "--res" in args:
        i = args.index("--res")
        resolutions = tuple(int(r) for r in args[i + 1].split(","))
        del args[i:i + 2]
    threads = int(args[0]) if args else os.cpu_count()
    torch.set_num_threads(threads)
    print(f"PyTorch {torch.__version__}, {DEVICE}, {threads} threads, GM iteration without G, batch 2")
    for res in resolutions:
        for arch, regex in (("unet", ".*"), ("deeplabv3_resnet101", ".*classifier.*")):
            try:
                print(f"{res:<5} {arch:<22} {regex:<14} {time_loop(res, arch, regex):12.3f}", flush=True)
            except ImportError as e:
                print(f"{res:<5} {arch:<22} {regex:<14} skipped ({e})", flush=True)


if __name__ == "__main__":
    main()

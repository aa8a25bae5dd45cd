#!/usr/bin/env python3
"""PyTorch timing of the same GM iteration as bench_gm_step's "no G" rows: Debian's PyTorch, a
Python transcription of the reference loop (tools/python/make_gm_step_case.py semantics), random
features of the paper256-style generator's shapes, batch 2. Run with the same thread count:
    python3 bench/reference_gm_step.py [threads] [--device cuda] [--res 64,128]
"""
import os
import re
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "python"))

K, B = 8, 2


class FPN(torch.nn.Module):
    def __init__(self, shapes, tmp=128):
        super().__init__()
        for i, (c, _, _) in enumerate(shapes):
            setattr(self, f"lateral{i}", torch.nn.Conv2d(c, tmp, 1))
        self.n = len(shapes)
        self.to_logit = torch.nn.Sequential(
            torch.nn.Conv2d(tmp, tmp, 3, padding=1, bias=False), torch.nn.BatchNorm2d(tmp), torch.nn.ReLU(),
            torch.nn.Conv2d(tmp, tmp, 3, padding=1, bias=False), torch.nn.BatchNorm2d(tmp), torch.nn.ReLU(),
            torch.nn.Conv2d(tmp, K, 3, padding=1))

    def forward(self, feats):
        x = self.lateral0(feats[0])
        for i in range(1, self.n):
            y = getattr(self, f"lateral{i}")(feats[i])
            if x.shape[-2:] != y.shape[-2:]:
                x = F.interpolate(x, size=y.shape[-2:], mode="bilinear", align_corners=False)
            x = x + y
        return self.to_logit(x)


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

    A = FPN(shapes).to(DEVICE)
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

    def soft_ce(logits, p):
        return (-p * F.log_softmax(logits, 1)).sum(1).mean()

    def iteration():
        opt_a.zero_grad(set_to_none=True)
        S.train()
        for p in gm:
            p.requires_grad_(True)
        A.train(), A.requires_grad_(True)
        g_l = [g.detach() for g in torch.autograd.grad(F.cross_entropy(S(img), mask), gm)]
        syn_img, feats = synthetic_batch()
        p = torch.softmax(A(feats), 1)
        g_s = torch.autograd.grad(soft_ce(S(syn_img), p), gm, create_graph=True)
        loss = sum((1 - F.cosine_similarity(a.flatten(1), b.flatten(1), dim=1, eps=1e-6)).mean()
                   for a, b in zip(g_s, g_l) if a.dim() > 1) / len(gm)
        loss.backward()
        opt_a.step()
        A.eval(), A.requires_grad_(False)
        opt_s.zero_grad(set_to_none=True)
        S.train(), S.requires_grad_(True)
        syn_img, feats = synthetic_batch()
        with torch.no_grad():
            p = torch.softmax(A(feats), 1)
        soft_ce(S(syn_img), p).backward()
        opt_s.step()
        S.eval(), S.requires_grad_(False)
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

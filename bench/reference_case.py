#!/usr/bin/env python3
"""The reference side of bench/side_by_side.py: one measurement of one configuration in Debian's
PyTorch, as a JSON line, with the same arguments as build/bench/bench_case. The GM iteration is
reference_gm_step.py's transcription of the reference loop, now with the reference generator
(reference_stylegan2.py: transposed convolution and FIR filter, as the reference runs it).

    /usr/bin/python3 bench/reference_case.py --case gm --res 64 --seg unet --match all [--reps 5]
    /usr/bin/python3 bench/reference_case.py --case gm ... --count-flops

--count-flops runs one iteration and reports the floating-point operations of its convolutions
(forward and backward, transposed ones too) and matrix products instead of a time: the work a
configuration needs, whichever program does it.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_gan_step as gan  # noqa: E402
import reference_gm_step as gm  # noqa: E402
import reference_stylegan2 as sg2  # noqa: E402

MATCH = {"all": ".*", "u4": "up4.*|outc.*", "head": ".*classifier.*"}


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def conv_flops(x_shape, w_shape, out_shape, transposed):
    """2 x multiply-adds of a convolution: every output (input, if transposed) element takes
    in_channels / groups x kernel taps products."""
    taps = _numel(w_shape[2:])
    if transposed:  # weight [in, out / groups, kh, kw]: each input element feeds out/groups x taps
        return 2 * _numel(x_shape) * w_shape[1] * taps
    return 2 * _numel(out_shape) * w_shape[1] * taps


class FlopCounter(TorchDispatchMode):
    """Counts the FLOPs of the convolutions and matrix products that reach ATen."""

    def __init__(self):
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = func.overloadpacket.__name__
        if name == "convolution":
            self.flops += conv_flops(args[0].shape, args[1].shape, out.shape, args[6])
        elif name == "convolution_backward":
            grad_out, x, w = args[0], args[1], args[2]
            forward = conv_flops(x.shape, w.shape, grad_out.shape, args[7])
            self.flops += forward * (int(args[10][0]) + int(args[10][1]))
        elif name in ("mm", "addmm"):
            a, b = (args[0], args[1]) if name == "mm" else (args[1], args[2])
            self.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
        elif name == "bmm":
            self.flops += 2 * args[0].shape[0] * args[0].shape[1] * args[0].shape[2] * args[1].shape[2]
        return out


def synth_step(res):
    torch.manual_seed(0)
    g = sg2.Generator.random(res)
    shapes = [[gm.channels(r), r, r] for r in g.blocks]
    a = gm.FPN(shapes, 128, gm.K).eval()

    def step():
        with torch.no_grad():
            _, feats = g(torch.randn(1, 512))
            torch.softmax(a(feats), 1).max(1)
    return step


def seg_step(res):
    torch.manual_seed(0)
    s = gm.UNet().train()
    opt = torch.optim.SGD(s.parameters(), lr=1e-3, momentum=0.9)
    x = torch.rand(8, 3, res, res) * 2 - 1
    y = torch.randint(0, gm.K, (8, res, res))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(s(x), y).backward()
        opt.step()
    return step


def gan_phases(res):
    """The GAN iteration as (main, r1): G phase, D phase and EMA; the lazy R1 phase, which runs
    once every R1_INTERVAL iterations."""
    torch.manual_seed(0)
    it = gan.GanIteration(res)
    real = torch.rand(gan.BATCH, 3, res, res) * 2 - 1

    def main():
        it.generator_phase()
        it.discriminator_phase(real)
        it.update_ema(1000000)
    return main, lambda: it.r1_phase(real)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--case", choices=["gm", "synth", "seg", "gan"], default="gm")
    p.add_argument("--res", type=int, default=64)
    p.add_argument("--seg", choices=["unet", "deeplab"], default="unet")
    p.add_argument("--match", choices=sorted(MATCH), default="all")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--count-flops", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.case == "gan":  # the R1 phase counts 1 / R1_INTERVAL of its cost per iteration
        main_phase, r1_phase = gan_phases(a.res)
        if a.count_flops:
            counts = []
            for phase in (main_phase, r1_phase):
                with FlopCounter() as counter:
                    phase()
                counts.append(counter.flops)
            print(json.dumps({"flops": counts[0] + counts[1] / gan.R1_INTERVAL}))
            return
        seconds = gm.median_seconds(main_phase, a.reps) + gm.median_seconds(r1_phase, a.reps) / gan.R1_INTERVAL
        print(json.dumps({"threads": a.threads, "seconds": seconds}))
        return
    if a.case == "gm":
        arch = "unet" if a.seg == "unet" else "deeplabv3_resnet101"
        step = gm.gm_iteration(a.res, arch, MATCH[a.match], sg2.Generator.random(a.res))
    else:
        step = synth_step(a.res) if a.case == "synth" else seg_step(a.res)
    if a.count_flops:
        with FlopCounter() as counter:
            step()
        print(json.dumps({"flops": counter.flops}))
        return
    seconds = gm.median_seconds(step, a.reps)
    print(json.dumps({"threads": a.threads, "seconds": seconds}))


if __name__ == "__main__":
    main()

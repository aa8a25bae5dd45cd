#!/usr/bin/env python3
"""The reference StyleGAN2 generator's compute path, for timing lagm against it: stylegan2-ada-pytorch's
forward as the reference runs it on the CPU (skip architecture, eval mode, fused modulated convolution,
fp32, the non-CUDA upfirdn2d), written from the repository's description of that network. The
up-sampling convolution is what the reference runs: conv_transpose2d with stride 2, then the 4-tap
FIR filter as a depthwise convolution.

    /usr/bin/python3 bench/reference_stylegan2.py --check tests/golden/reference/sg2_skip_r32

compares it with a golden case (the reference's own outputs) and exits 1 when they differ, so the
timed path is known to compute the reference's function.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "python"))


def fir_filter():
    f = torch.tensor([1.0, 3.0, 3.0, 1.0])
    f2 = torch.outer(f, f)
    return f2 / f2.sum()


def upfirdn2d(x, f, up=1, pad=(0, 0, 0, 0), gain=1.0):
    """Zero-insert, pad (negative crops), true convolution with f * gain, per channel."""
    n, c, h, w = x.shape
    if up > 1:
        x = x.reshape(n, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    px0, px1, py0, py1 = pad
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0):x.shape[2] - max(-py1, 0), max(-px0, 0):x.shape[3] - max(-px1, 0)]
    k = (f * gain).to(x.dtype).flip([0, 1])[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(x, k, groups=c)


def modulated_conv(x, weight, styles, up, padding, demodulate, noise=None, f=None):
    """The fused path: per-sample weights folded into a grouped convolution."""
    n = x.shape[0]
    out_c, in_c, kh, kw = weight.shape
    w = weight[None] * styles[:, None, :, None, None]
    if demodulate:
        w = w * (w.square().sum([2, 3, 4]) + 1e-8).rsqrt()[:, :, None, None, None]
    x = x.reshape(1, -1, *x.shape[2:])
    if up == 1:
        y = F.conv2d(x, w.reshape(-1, in_c, kh, kw), padding=padding, groups=n)
    else:  # the reference's up-sampling: transposed convolution, then the FIR filter
        wt = w.transpose(1, 2).reshape(n * in_c, out_c, kh, kw)
        y = F.conv_transpose2d(x, wt, stride=2, groups=n)
        y = upfirdn2d(y, fir_filter() if f is None else f, pad=(1, 1, 1, 1), gain=4.0)
    y = y.reshape(n, -1, *y.shape[2:])
    return y + noise if noise is not None else y


def bias_lrelu(x, b, gain, clamp):
    x = F.leaky_relu(x + b.reshape(1, -1, 1, 1), 0.2) * (math.sqrt(2) * gain)
    return x.clamp(-clamp, clamp) if clamp is not None else x


class Generator:
    """Weights in a dict under stylegan2-ada-pytorch's state-dict names (without a 'G.' prefix)."""

    def __init__(self, sd, res, w_dim, mapping_layers, conv_clamp):
        self.sd, self.res, self.w_dim, self.layers, self.clamp = sd, res, w_dim, mapping_layers, conv_clamp
        self.blocks = [2 ** i for i in range(2, int(math.log2(res)) + 1)]

    @staticmethod
    def random(res, channel_base=16384, channel_max=512, w_dim=512, mapping_layers=8, conv_clamp=256):
        """Random weights of a paper256-style configuration at `res` (timing only)."""
        ch = lambda r: min(channel_base // r, channel_max)  # noqa: E731
        sd = {}
        for i in range(mapping_layers):
            sd[f"mapping.fc{i}.weight"] = torch.randn(w_dim, w_dim) / 0.01
            sd[f"mapping.fc{i}.bias"] = torch.zeros(w_dim)
        sd["mapping.w_avg"] = torch.zeros(w_dim)
        for r in [2 ** i for i in range(2, int(math.log2(res)) + 1)]:
            p = f"synthesis.b{r}"
            convs = [("conv1", ch(r), r)] if r == 4 else [("conv0", ch(r // 2), r), ("conv1", ch(r), r)]
            if r == 4:
                sd[p + ".const"] = torch.randn(ch(4), 4, 4)
            for name, cin, rr in convs:
                sd[f"{p}.{name}.weight"] = torch.randn(ch(r), cin, 3, 3)
                sd[f"{p}.{name}.affine.weight"] = torch.randn(cin, w_dim)
                sd[f"{p}.{name}.affine.bias"] = torch.ones(cin)
                sd[f"{p}.{name}.bias"] = torch.zeros(ch(r))
                sd[f"{p}.{name}.noise_strength"] = torch.tensor(0.1)
                sd[f"{p}.{name}.noise_const"] = torch.randn(rr, rr)
            sd[p + ".torgb.weight"] = torch.randn(3, ch(r), 1, 1)
            sd[p + ".torgb.affine.weight"] = torch.randn(ch(r), w_dim)
            sd[p + ".torgb.affine.bias"] = torch.ones(ch(r))
            sd[p + ".torgb.bias"] = torch.zeros(3)
        return Generator(sd, res, w_dim, mapping_layers, conv_clamp)

    def mapping(self, z, psi=0.7, cutoff=8):
        x = z * (z.square().mean(1, keepdim=True) + 1e-8).rsqrt()
        for i in range(self.layers):
            w, b = self.sd[f"mapping.fc{i}.weight"], self.sd[f"mapping.fc{i}.bias"]
            x = F.leaky_relu(x @ (w * (0.01 / math.sqrt(w.shape[1]))).t() + b * 0.01, 0.2) * math.sqrt(2)
        ws = x[:, None, :].repeat(1, 2 * len(self.blocks), 1)
        if psi != 1:
            avg = self.sd["mapping.w_avg"]
            end = ws.shape[1] if cutoff is None else cutoff
            ws[:, :end] = avg.lerp(ws[:, :end], psi)
        return ws

    def _filter(self, p):
        """A layer's or block's FIR filter: its stored buffer when the weights have one."""
        return self.sd.get(p + ".resample_filter", fir_filter())

    def _layer(self, p, x, w, up, noise_mode):
        s = self.sd[p + ".affine.bias"] + w @ (self.sd[p + ".affine.weight"] / math.sqrt(self.w_dim)).t()
        res = x.shape[2] * up
        strength = self.sd[p + ".noise_strength"]
        noise = None
        if noise_mode == "random":
            noise = torch.randn(x.shape[0], 1, res, res) * strength
        elif noise_mode == "const":
            noise = self.sd[p + ".noise_const"] * strength
        x = modulated_conv(x, self.sd[p + ".weight"], s, up, 1, True, noise, self._filter(p))
        return bias_lrelu(x, self.sd[p + ".bias"], 1.0, self.clamp)

    def _torgb(self, p, x, w):
        weight = self.sd[p + ".weight"]
        s = self.sd[p + ".affine.bias"] + w @ (self.sd[p + ".affine.weight"] / math.sqrt(self.w_dim)).t()
        y = modulated_conv(x, weight, s / math.sqrt(weight.shape[1]), 1, 0, False)
        y = y + self.sd[p + ".bias"].reshape(1, -1, 1, 1)
        return y.clamp(-self.clamp, self.clamp) if self.clamp is not None else y

    def synthesis(self, ws, noise_mode="random"):
        """Returns (img, features): each block's x, as LAGM's SynDataGenerator hooks them."""
        features, x, img = [], None, None
        for i, r in enumerate(self.blocks):
            p = f"synthesis.b{r}"
            if r == 4:
                x = self.sd[p + ".const"][None].repeat(ws.shape[0], 1, 1, 1)
                x = self._layer(p + ".conv1", x, ws[:, 0], 1, noise_mode)
                c = ws[:, 1]
            else:
                x = self._layer(p + ".conv0", x, ws[:, 2 * i - 1], 2, noise_mode)
                x = self._layer(p + ".conv1", x, ws[:, 2 * i], 1, noise_mode)
                c = ws[:, 2 * i + 1]
            t = self._torgb(p + ".torgb", x, c)
            img = t if img is None else upfirdn2d(img, self._filter(p), up=2, pad=(2, 1, 2, 1), gain=4.0) + t
            features.append(x)
        return img, features

    def __call__(self, z, psi=0.7, cutoff=8, noise_mode="random"):
        return self.synthesis(self.mapping(z, psi, cutoff), noise_mode)


def check(case_dir):
    import lagm_safetensors
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    weights, _ = lagm_safetensors.load(os.path.join(case_dir, "weights.safetensors"))
    io, _ = lagm_safetensors.load(os.path.join(case_dir, "io.safetensors"))
    gk = case["generator"]
    sd = {k[2:]: v for k, v in weights.items() if k.startswith("G.")}
    g = Generator(sd, gk["img_resolution"], gk["w_dim"], gk["mapping_kwargs"].get("num_layers", 8),
                  gk["synthesis_kwargs"].get("conv_clamp"))
    with torch.no_grad():
        ws = g.mapping(io["in.z"], case["truncation_psi"], case["truncation_cutoff"])
        img, features = g.synthesis(ws, case["noise_mode"])
    tol = case["tolerance"]
    worst = 0.0
    pairs = [(ws, io["out.ws"]), (img, io["out.img"])]
    pairs += [(f, io[f"out.features.b{r}"]) for f, r in zip(features, g.blocks)]
    for got, want in pairs:
        worst = max(worst, (got - want).abs().max().item())
        if not torch.allclose(got, want, rtol=tol["rtol"], atol=tol["atol"]):
            print(f"{case_dir}: the reference generator differs from the golden case "
                  f"(max abs error {(got - want).abs().max().item():.3g})")
            return 1
    print(f"{case_dir}: reference generator matches the golden case (max abs error {worst:.3g})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    print(__doc__)
    sys.exit(2)

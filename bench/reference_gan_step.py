#!/usr/bin/env python3
"""One `lagm train-gan` iteration as stylegan2-ada-pytorch computes it, in Debian's PyTorch, for
bench/side_by_side.py: the generator in training mode (the reference's non-fused modulated
convolution: inputs scaled by the styles, one convolution with the shared weight, outputs scaled by
the demodulation coefficients; the up-sampling one as a transposed convolution and the FIR filter;
random noise; style mixing; w_avg tracking), the 'resnet' discriminator (FIR filter, then a strided
convolution; minibatch standard deviation), the non-saturating logistic losses, lazy R1, Adam with
the lazy-regularisation ratios and the EMA generator. The repository's specs describe the
generator; the discriminator and the losses follow stylegan2-ada's published description, the
same reading lagm's src/lagm/gan implements, so --check proves that both sides compute one
function, which is what the timing needs.

    /usr/bin/python3 bench/reference_gan_step.py --check FILE

FILE is written by `build/bench/bench_case --case gan --res R --dump FILE`: lagm's networks, a
batch and lagm's outputs; exits 1 when this file's function differs.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools", "python"))
import reference_stylegan2 as sg2  # noqa: E402

# `lagm train-gan`'s built-in configuration (src/lagm/gan/gan_train_config.cpp).
Z_DIM = W_DIM = 128
MAPPING_LAYERS = 2
CHANNEL_BASE, CHANNEL_MAX = 2048, 64
BATCH = 16
LR, BETAS = 0.0025, (0.0, 0.99)
R1_INTERVAL = 16
STYLE_MIXING = 0.9
EMA_KIMG = BATCH * 10 / 32


def channels(res):
    return min(CHANNEL_BASE // res, CHANNEL_MAX)


def downsample(x, f, pad):
    """upfirdn2d with down=2: the filter at full resolution, then every second sample."""
    return sg2.upfirdn2d(x, f, pad=(pad, pad, pad, pad))[:, :, ::2, ::2]


def nonfused_modconv(x, weight, styles, up, padding, demodulate, noise, f):
    if demodulate:
        d = ((weight[None] * styles[:, None, :, None, None]).square().sum([2, 3, 4]) + 1e-8).rsqrt()
    x = x * styles[:, :, None, None]
    if up == 1:
        y = F.conv2d(x, weight, padding=padding)
    else:
        y = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2)
        y = sg2.upfirdn2d(y, f, pad=(1, 1, 1, 1), gain=4.0)
    if demodulate and noise is not None:
        return torch.addcmul(noise, y, d[:, :, None, None])
    if demodulate:
        return y * d[:, :, None, None]
    return y + noise if noise is not None else y


class TrainingGenerator(sg2.Generator):
    """sg2.Generator's weights, in training mode."""

    def mapping_train(self, z, update_w_avg=True):
        x = z * (z.square().mean(1, keepdim=True) + 1e-8).rsqrt()
        for i in range(self.layers):
            w, b = self.sd[f"mapping.fc{i}.weight"], self.sd[f"mapping.fc{i}.bias"]
            x = F.leaky_relu(x @ (w * (0.01 / math.sqrt(w.shape[1]))).t() + b * 0.01, 0.2) * math.sqrt(2)
        if update_w_avg:
            with torch.no_grad():
                self.sd["mapping.w_avg"].copy_(x.detach().mean(0).lerp(self.sd["mapping.w_avg"], 0.995))
        return x[:, None, :].repeat(1, 2 * len(self.blocks), 1)

    def _layer(self, p, x, w, up, noise_mode):
        s = self.sd[p + ".affine.bias"] + w @ (self.sd[p + ".affine.weight"] / math.sqrt(self.w_dim)).t()
        res = x.shape[2] * up
        strength = self.sd[p + ".noise_strength"]
        if noise_mode == "random":
            noise = torch.randn(x.shape[0], 1, res, res) * strength
        else:
            noise = self.sd[p + ".noise_const"] * strength
        x = nonfused_modconv(x, self.sd[p + ".weight"], s, up, 1, True, noise, self._filter(p))
        return sg2.bias_lrelu(x, self.sd[p + ".bias"], 1.0, self.clamp)

    def _torgb(self, p, x, w):
        weight = self.sd[p + ".weight"]
        s = self.sd[p + ".affine.bias"] + w @ (self.sd[p + ".affine.weight"] / math.sqrt(self.w_dim)).t()
        y = nonfused_modconv(x, weight, s / math.sqrt(weight.shape[1]), 1, 0, False, None, None)
        y = y + self.sd[p + ".bias"].reshape(1, -1, 1, 1)
        return y.clamp(-self.clamp, self.clamp) if self.clamp is not None else y

    def generate(self, z):
        ws = self.mapping_train(z)
        if torch.rand([]).item() < STYLE_MIXING:
            cutoff = int(torch.randint(1, ws.shape[1], []).item())
            ws = torch.cat([ws[:, :cutoff], self.mapping_train(torch.randn_like(z), False)[:, cutoff:]], 1)
        return self.synthesis(ws, "random")[0]


def conv_layer(sd, p, x, down=1, act=True, gain=1.0, clamp=None):
    w = sd[p + ".weight"]
    w = w * (1 / math.sqrt(w[0].numel()))
    if down == 2 and w.shape[-1] == 1:
        x = F.conv2d(downsample(x, sd[p + ".resample_filter"], 1), w)
    elif down == 2:
        x = F.conv2d(sg2.upfirdn2d(x, sd[p + ".resample_filter"], pad=(2, 2, 2, 2)), w, stride=2)
    else:
        x = F.conv2d(x, w, padding=w.shape[-1] // 2)
    if p + ".bias" in sd:
        x = x + sd[p + ".bias"].reshape(1, -1, 1, 1)
    if act:
        x = F.leaky_relu(x, 0.2) * math.sqrt(2)
    x = x * gain if gain != 1 else x
    return x.clamp(-clamp * gain, clamp * gain) if clamp is not None else x


def fc_layer(sd, p, x, act):
    w = sd[p + ".weight"]
    x = torch.addmm(sd[p + ".bias"][None], x, (w * (1 / math.sqrt(w.shape[1]))).t())
    return F.leaky_relu(x, 0.2) * math.sqrt(2) if act else x


def minibatch_stddev(x, group=4, num_channels=1):
    n, c, h, w = x.shape
    g = min(group, n)
    y = x.reshape(g, -1, num_channels, c // num_channels, h, w)
    y = y - y.mean(0)
    y = (y.square().mean(0) + 1e-8).sqrt().mean([2, 3, 4]).reshape(-1, num_channels, 1, 1)
    return torch.cat([x, y.repeat(g, 1, h, w)], 1)


def discriminate(sd, img):
    res = img.shape[-1]
    x = None
    r = res
    while r >= 8:
        p = f"b{r}"
        if r == res:
            x = conv_layer(sd, p + ".fromrgb", img)
        y = conv_layer(sd, p + ".skip", x, down=2, act=False, gain=math.sqrt(0.5))
        x = conv_layer(sd, p + ".conv0", x)
        x = conv_layer(sd, p + ".conv1", x, down=2, gain=math.sqrt(0.5))
        x = y.add(x)
        r //= 2
    x = conv_layer(sd, "b4.conv", minibatch_stddev(x))
    x = fc_layer(sd, "b4.fc", x.flatten(1), True)
    return fc_layer(sd, "b4.out", x, False)


def is_trainable(name):
    return not name.endswith(("w_avg", "noise_const", "resample_filter"))


class GanIteration:
    """Networks, optimizers and the phases of one iteration; weights random, or given."""

    def __init__(self, res, g_sd=None, d_sd=None):
        if g_sd is None:
            g_sd, d_sd = random_weights(res)
        self.res = res
        self.g = TrainingGenerator(g_sd, res, W_DIM, MAPPING_LAYERS, None)
        self.d = d_sd
        self.g_ema = {k: v.detach().clone() for k, v in g_sd.items()}
        g_params = [v.requires_grad_(True) for k, v in g_sd.items() if is_trainable(k)]
        d_params = [v.requires_grad_(True) for k, v in d_sd.items() if is_trainable(k)]
        ratio = R1_INTERVAL / (R1_INTERVAL + 1)
        self.g_opt = torch.optim.Adam(g_params, lr=LR, betas=BETAS, eps=1e-8)
        self.d_opt = torch.optim.Adam(d_params, lr=LR * ratio, betas=tuple(b ** ratio for b in BETAS), eps=1e-8)
        self.g_params, self.d_params = g_params, d_params
        self.gamma = 0.0002 * res * res / BATCH

    def generator_phase(self):
        for p in self.d_params:
            p.requires_grad_(False)
        loss = F.softplus(-discriminate(self.d, self.g.generate(torch.randn(BATCH, Z_DIM)))).mean()
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()
        for p in self.d_params:
            p.requires_grad_(True)

    def discriminator_phase(self, real):
        with torch.no_grad():
            fake = self.g.generate(torch.randn(BATCH, Z_DIM))
        loss = F.softplus(discriminate(self.d, fake)).mean() + F.softplus(-discriminate(self.d, real)).mean()
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.d_opt.step()

    def r1_phase(self, real):
        x = real.detach().requires_grad_(True)
        grad, = torch.autograd.grad(discriminate(self.d, x).sum(), x, create_graph=True)
        loss = grad.square().sum([1, 2, 3]).mean() * (self.gamma / 2 * R1_INTERVAL)
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.d_opt.step()

    def update_ema(self, nimg):
        beta = 0.5 ** (BATCH / max(min(EMA_KIMG * 1000, nimg * 0.05), 1e-8))
        with torch.no_grad():
            for k, v in self.g.sd.items():
                self.g_ema[k].copy_(v.lerp(self.g_ema[k], beta) if is_trainable(k) else v)


def random_weights(res):
    """Weights of the built-in configuration's shapes (timing only)."""
    sd = sg2.Generator.random(res, CHANNEL_BASE, CHANNEL_MAX, W_DIM, MAPPING_LAYERS, None).sd
    f = sg2.fir_filter()
    d = {}
    r = res
    while r >= 8:
        p, c, c2 = f"b{r}", channels(r), channels(r // 2)
        if r == res:
            d[p + ".fromrgb.weight"], d[p + ".fromrgb.bias"] = torch.randn(c, 3, 1, 1), torch.zeros(c)
        d[p + ".conv0.weight"], d[p + ".conv0.bias"] = torch.randn(c, c, 3, 3), torch.zeros(c)
        d[p + ".conv1.weight"], d[p + ".conv1.bias"] = torch.randn(c2, c, 3, 3), torch.zeros(c2)
        d[p + ".conv1.resample_filter"] = f
        d[p + ".skip.weight"], d[p + ".skip.resample_filter"] = torch.randn(c2, c, 1, 1), f
        r //= 2
    c = channels(4)
    d["b4.conv.weight"], d["b4.conv.bias"] = torch.randn(c, c + 1, 3, 3), torch.zeros(c)
    d["b4.fc.weight"], d["b4.fc.bias"] = torch.randn(c, c * 16), torch.zeros(c)
    d["b4.out.weight"], d["b4.out.bias"] = torch.randn(1, c), torch.zeros(1)
    return sd, d


def check(path):
    import lagm_safetensors
    t, _ = lagm_safetensors.load(path)
    g_sd = {k[2:]: v for k, v in t.items() if k.startswith("G.")}
    d_sd = {k[2:]: v for k, v in t.items() if k.startswith("D.")}
    res = t["in.real"].shape[-1]
    g = TrainingGenerator(g_sd, res, W_DIM, MAPPING_LAYERS, None)
    with torch.no_grad():
        ws = g.mapping_train(t["in.z"], update_w_avg=False)
        img = g.synthesis(ws, "const")[0]
    x = t["in.real"].clone().requires_grad_(True)
    logits = discriminate(d_sd, x)
    grad, = torch.autograd.grad(logits.sum(), x)
    pairs = [("ws", ws, t["out.ws"]), ("image", img, t["out.img"]),
             ("D logits", logits.detach(), t["out.logits"]),
             ("R1 penalty", grad.square().sum([1, 2, 3]), t["out.r1_penalty"])]
    for what, got, want in pairs:
        err = (got - want).abs().max().item()
        scale = want.abs().max().item()
        if not err <= 2e-5 * scale:  # float32 rounding of two orders of summation
            print(f"{path}: the reference GAN step's {what} differs from lagm's "
                  f"(max abs error {err:.3g}, scale {scale:.3g})")
            return 1
        print(f"{what}: max abs error {err:.3g} (values up to {scale:.3g})")
    print(f"{path}: the reference GAN step computes lagm's function")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    print(__doc__)
    sys.exit(2)

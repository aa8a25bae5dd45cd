"""The reference's gradient-matching iteration (Algorithm 1: phase A, then phase S), transcribed once
from the loop tests/golden/reference/README.md specifies, and shared by the golden-case generator
(make_gm_step_case.py) and the benchmark's PyTorch side (bench/reference_gm_step.py). Test and
benchmark tool only; the product never runs Python."""
import torch
import torch.nn.functional as F


class FPN(torch.nn.Module):
    """The reference's FPN annotator: a 1x1 lateral convolution per generator block, summed from the
    coarsest up (bilinear up-sampling), then three 3x3 convolutions to the class logits."""

    def __init__(self, shapes, tmp, num_classes):
        super().__init__()
        for i, (c, _, _) in enumerate(shapes):
            setattr(self, f"lateral{i}", torch.nn.Conv2d(c, tmp, 1))
        self.to_logit = torch.nn.Sequential(
            torch.nn.Conv2d(tmp, tmp, 3, padding=1, bias=False), torch.nn.BatchNorm2d(tmp), torch.nn.ReLU(),
            torch.nn.Conv2d(tmp, tmp, 3, padding=1, bias=False), torch.nn.BatchNorm2d(tmp), torch.nn.ReLU(),
            torch.nn.Conv2d(tmp, num_classes, 3, padding=1))

    def forward(self, feats):
        x = self.lateral0(feats[0])
        for i in range(1, len(feats)):
            y = getattr(self, f"lateral{i}")(feats[i])
            if x.shape[-2:] != y.shape[-2:]:
                x = F.interpolate(x, size=y.shape[-2:], mode="bilinear", align_corners=False)
            x = x + y
        return self.to_logit(x)


def match(g_syn, g_lbl):
    """The matching distance: per weight tensor (biases skipped) the mean over output channels of
    1 - cosine, summed and divided by the number of matched tensors."""
    total = 0
    for a, b in zip(g_syn, g_lbl):
        if a.dim() == 1:
            continue
        a, b = a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)
        total = total + (1 - F.cosine_similarity(a, b, dim=1, eps=1e-6)).sum() / a.shape[0]
    return total / len(g_syn)


def soft_ce(logits, p):
    """Cross entropy against soft labels, the mean over pixels."""
    return (-p * F.log_softmax(logits, 1)).sum(1).mean()


def _finite_grads(params):
    for q in params:
        if q.grad is not None:
            q.grad.nan_to_num_(nan=0, posinf=1e5, neginf=-1e5)


def gm_iteration(A, S, gm_params, opt_a, opt_s, lbl_img, lbl_mask, synthetic_batch, keep=False):
    """One iteration: phase A moves A so that S's gradient (of `gm_params`) on generated images
    labelled by A matches its gradient on the labelled batch; phase S trains S on generated images
    labelled by A. `synthetic_batch(phase)` gives (images, features) for phase "A" and "S".
    Returns the four losses; with `keep`, also A's gradients before its step ("grad.A") and phase
    A's images and soft labels ("syn_img_A", "auto_label_A")."""
    out = {}
    opt_a.zero_grad(set_to_none=True)
    S.train()
    for p in gm_params:
        p.requires_grad_(True)
    A.train(), A.requires_grad_(True)
    loss_lbl = F.cross_entropy(S(lbl_img), lbl_mask)
    g_lbl = [g.detach().clone() for g in torch.autograd.grad(loss_lbl, gm_params)]
    syn_img, feats = synthetic_batch("A")
    p = torch.softmax(A(feats), 1)
    loss_syn = soft_ce(S(syn_img), p)
    g_syn = torch.autograd.grad(loss_syn, gm_params, create_graph=True)
    loss_gm = match(g_syn, g_lbl)
    loss_gm.backward()
    _finite_grads(A.parameters())
    if keep:
        out["grad.A"] = {n: q.grad.clone() for n, q in A.named_parameters()}
        out["syn_img_A"], out["auto_label_A"] = syn_img, p.detach()
    opt_a.step()
    A.eval(), A.requires_grad_(False)

    opt_s.zero_grad(set_to_none=True)
    S.train(), S.requires_grad_(True)
    syn_img_s, feats_s = synthetic_batch("S")
    with torch.no_grad():
        p_s = torch.softmax(A(feats_s), 1)
    loss_s = soft_ce(S(syn_img_s), p_s)
    loss_s.backward()
    _finite_grads(S.parameters())
    opt_s.step()
    S.eval(), S.requires_grad_(False)
    out.update(loss_lbl=loss_lbl, loss_syn_A=loss_syn, loss_gm=loss_gm, loss_syn_S=loss_s)
    return out

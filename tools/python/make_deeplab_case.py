#!/usr/bin/env python3
"""Writes a `segmenter_forward` golden case for LAGM's DeepLabv3 wrapper around torchvision's
deeplabv3_resnet{101,50} (random weights, randomised BN statistics, ASPP dropout 0 so that train mode is
deterministic), computed by Debian's PyTorch/torchvision. Test fixture; the product never runs Python.

Usage: make_deeplab_case.py OUT_DIR resnet101|resnet50 NUM_CLASSES SIZE
"""
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lagm_safetensors  # noqa: E402


class DeepLabWrapper(torch.nn.Module):
    """LAGM's wrapper: [-1, 1] input mapped to ImageNet normalisation, then torchvision's DeepLabV3."""

    def __init__(self, builder, num_classes):
        super().__init__()
        self.register_buffer("input_mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("input_std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.main_net = builder(weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=None)

    def forward(self, x):
        return self.main_net((0.5 * (x + 1) - self.input_mean) / self.input_std)["out"]


def main():
    out_dir, depth, num_classes, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.manual_seed(0)
    builder = getattr(torchvision.models.segmentation, f"deeplabv3_{depth}")
    model = DeepLabWrapper(builder, num_classes)
    model.main_net.classifier[0].project[3].p = 0.0
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            m.num_batches_tracked.fill_(3)
    weights = {"S." + k: v.clone() for k, v in model.state_dict().items()}
    x = torch.rand(2, 3, size, size, generator=g) * 2 - 1
    with torch.no_grad():
        model.eval()
        out_eval = model(x)
        model.train()
        out_train = model(x)
    io = {"in.x": x, "out.eval": out_eval, "out.train": out_train}
    io.update({"out.state_after_train_forward.S." + k: v for k, v in model.state_dict().items()})
    os.makedirs(out_dir, exist_ok=True)
    lagm_safetensors.save(weights, os.path.join(out_dir, "weights.safetensors"))
    lagm_safetensors.save(io, os.path.join(out_dir, "io.safetensors"))
    case = {"kind": "segmenter_forward", "segmenter": {"arch": f"deeplabv3_{depth}"}, "num_classes": num_classes,
            "aspp_dropout": 0.0, "tolerance": {"rtol": 1e-4, "atol": 1e-4},
            "note": f"built by tools/python/make_deeplab_case.py with torch {torch.__version__}, "
                    f"torchvision {torchvision.__version__}"}
    with open(os.path.join(out_dir, "case.json"), "w") as f:
        json.dump(case, f, indent=1)


if __name__ == "__main__":
    main()

"""Loads a segmenter that `lagm export --format pytorch` wrote, with PyTorch alone (and torchvision
for the DeepLab variants): no lagm, no other package. Copy this one file next to your code.

    import lagm_export
    model, manifest = lagm_export.load("exported/")          # eval mode, on the CPU
    logits = model(x)        # x: float [N, 3, H, W], RGB scaled to [-1, 1] (pixel / 127.5 - 1)
    labels = logits.argmax(1)                                # [N, H, W] class indices
    manifest["classes"], manifest["palette"], manifest["input"]   # names, colours, training size

The folder holds model.safetensors (the state dict under PyTorch's names) and model.json (what
the network is and expects). Every model returned takes lagm's input, [-1, 1] RGB:
- "unet": `UNet` below, lagm's (and the paper's reference) U-Net: blocks of two [3x3 conv, BatchNorm,
  ReLU], 2x2 max-pooling down, bilinear (align_corners=True) up with the skip concatenated first.
- "deeplabv3_resnet101" / "deeplabv3_resnet50": torchvision's own network
  (`torchvision.models.segmentation.deeplabv3_resnet101(weights=None, weights_backbone=None,
  num_classes=K, aux_loss=False)`), wrapped in `ImageNetInput`, which maps [-1, 1] to the ImageNet
  normalisation torchvision's backbone expects and returns the "out" logits. `model.network` is the
  plain torchvision module, for those who feed it ImageNet-normalised images themselves.
Images of another size than manifest["input"] are best resized to it first (lagm resizes with PIL
bicubic, aspect ratio not kept), as the network was trained at that size.
"""
import json
import os
import struct

import torch
import torch.nn.functional as F
from torch import nn

_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
           "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32, "I16": torch.int16,
           "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path):
    """{name: tensor} of a .safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        flat = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
        tensors[name] = flat.view(_DTYPES[entry["dtype"]]).reshape(entry["shape"]).clone()
    return tensors


class UNetBlock(nn.Module):
    """[3x3 conv, BatchNorm, ReLU] x 2, after a 2x2 max-pool (down) or an upsampling of the input
    concatenated after the skip connection (up)."""

    def __init__(self, in_channels, out_channels, down=False, up=False):
        super().__init__()
        self.down, self.up = down, up
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x, skip=None):
        if self.down:
            x = F.max_pool2d(x, 2)
        if self.up:
            x = F.interpolate(x, size=(2 * x.shape[2], 2 * x.shape[3]), mode="bilinear",
                              align_corners=True)
            dh, dw = skip.shape[2] - x.shape[2], skip.shape[3] - x.shape[3]
            if dh or dw:
                x = F.pad(x, [dw // 2, dw - dw // 2, dh // 2, dh - dh // 2])
            x = torch.cat([skip, x], 1)
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))


class UNet(nn.Module):
    """lagm's U-Net: widths b, 2b, 4b, 8b, 8b down and back up; logits at the input's size."""

    def __init__(self, num_classes, base_channels=64, input_channels=3):
        super().__init__()
        b = base_channels
        self.inc = UNetBlock(input_channels, b)
        self.down1, self.down2 = UNetBlock(b, 2 * b, down=True), UNetBlock(2 * b, 4 * b, down=True)
        self.down3, self.down4 = UNetBlock(4 * b, 8 * b, down=True), UNetBlock(8 * b, 8 * b, down=True)
        self.up1, self.up2 = UNetBlock(16 * b, 4 * b, up=True), UNetBlock(8 * b, 2 * b, up=True)
        self.up3, self.up4 = UNetBlock(4 * b, b, up=True), UNetBlock(2 * b, b, up=True)
        self.outc = nn.Conv2d(b, num_classes, 1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x4 = self.down3(x3)
        x5 = self.down4(x4)
        y = self.up4(self.up3(self.up2(self.up1(x5, x4), x3), x2), x1)
        return self.outc(y)


class ImageNetInput(nn.Module):
    """A torchvision segmentation network fed lagm's [-1, 1] images; returns its "out" logits."""

    def __init__(self, network):
        super().__init__()
        self.network = network
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x):
        return self.network(((x + 1) * 0.5 - self.mean) / self.std)["out"]


def build(manifest):
    """The network model.json describes, with untrained weights."""
    arch, k = manifest["arch"], manifest["num_classes"]
    if arch == "unet":
        return UNet(k, manifest["options"].get("base_channels", 64))
    if arch in ("deeplabv3_resnet101", "deeplabv3_resnet50"):
        import torchvision.models.segmentation as segmentation
        network = getattr(segmentation, arch)(weights=None, weights_backbone=None, num_classes=k,
                                              aux_loss=False)
        return network
    raise ValueError(f"unknown architecture {arch!r} in model.json")


def load(folder, device="cpu"):
    """(model in eval mode taking [-1, 1] images, the manifest) of an exported folder."""
    with open(os.path.join(folder, "model.json")) as f:
        manifest = json.load(f)
    if manifest.get("format") != "lagm-pytorch":
        raise ValueError(f"{folder}: not a lagm export (model.json format {manifest.get('format')!r})")
    network = build(manifest)
    network.load_state_dict(read_safetensors(os.path.join(folder, manifest["weights"])), strict=True)
    model = network if manifest["arch"] == "unet" else ImageNetInput(network)
    return model.to(device).eval(), manifest

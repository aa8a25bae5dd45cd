#!/usr/bin/env python3
"""Writes configs/paper/*.json: the paper's phase-I settings as lagm's own
train-annotator configs, one per reference config file. The table below is the single source; run
    python3 tools/make_paper_configs.py configs/paper
after changing it. Paths are relative to the working directory, as in the reference ("./data/...",
"./checkpoints/..."): generators are the reference's checkpoints converted to .safetensors.
"""
import json
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "configs", "paper")

COMMON = {
    "truncation_psi": 0.7,
    "noise_mode": "random",
    "annotator": {"arch": "fpn", "tmp_channels": 128, "num_layers": 3},
    "matcher": {"metric": "cosine", "reduction": "mean", "cosine_eps": "clamp_each_norm"},
    "annotator_optimizer": {"kind": "sgd", "lr": 0.001, "momentum": 0.9},
    "segmenter_optimizer": {"kind": "sgd", "lr": 0.001, "momentum": 0.9},
    "batch": 2, "total_iters": 150000, "annotator_interval": 1, "segmenter_interval": 1, "seed": 0,
    "niter_per_tick": 20, "snapshot_ticks": 200,  # a snapshot every 4000 iterations, as the reference
    "grid_size": 8,
}
DEEPLAB = ({"arch": "deeplabv3_resnet101", "aspp_dropout": 0.5}, "head")  # gmparam_regex .*classifier.*
UNET = ({"arch": "unet", "base_channels": 64}, "all")
# The reference's DeepLab S starts from torchvision's ImageNet ResNet-101 (IMAGENET1K_V1), converted once
# with tools/convert_torch_state_dict.py (docs/models.md).
RESNET101 = "./checkpoints/resnet101-63fe2227.safetensors"  # = AnnotatorTrainConfig::kDefaultResnet101Path
SG2 = "./checkpoints/stylegan2/"
SG1 = "./checkpoints/stylegan1/"
DG = "./data/DatasetGAN/annotation"


def write(name, generator, cutoff, segmenter, training_set, validation_set, transform=None):
    seg, gm = segmenter
    cfg = {"generator": generator, "truncation_cutoff": cutoff, **COMMON, "segmenter": seg,
           **({"segmenter_backbone": RESNET101} if seg["arch"].startswith("deeplab") else {}), "gm_params": gm,
           "training_set": training_set, "validation_set": validation_set,
           "transform": transform or {"wide_crop": False, "resize": None}, "run_name": name}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")


os.makedirs(OUT, exist_ok=True)
for n in (2, 10, 30, 150, 1500):
    celeba = {"class_name": "CelebAMaskDataset", "rootdir": "./data/CelebAMask-HQ", "img_size": 256}
    write(f"celeba_{n}_stylegan2_256x256", SG2 + "celeba0-28k-paper256-ada.safetensors", 8, DEEPLAB,
          {**celeba, "split": "train", "limit_size": n}, {**celeba, "split": "val", "limit_size": 500})
for obj, pkl in (("horse", "stylegan2-horse-config-f"), ("aeroplane", "lsunairplane-stylegan2-noaug-13200")):
    for n in (2, 10, 30, 100, 180):
        pascal = {"class_name": "PascalPart", "rootdir": f"./data/pascal_part/{obj}/train",
                  "img_folder": f"./data/pascal_part/{obj}/train/CroppedImages",
                  "seg_folder": f"./data/pascal_part/{obj}/train/CroppedSegmentation", "img_size": 256}
        train = {**pascal, "split": "train", **({} if n == 180 else {"max_size": n})}
        write(f"{obj}_{n}_stylegan2", SG2 + pkl + ".safetensors", 7, DEEPLAB, train, {**pascal, "split": "val"})
DATASETGAN = {  # obj: (classes, img_size, max_size, SG2 checkpoint, SG1 checkpoint, cutoff, SG2 T, SG1 T)
    "car": (20, 512, 16, "stylegan2-car-config-f", "karras2019stylegan-cars-512x384", 8,
            {"wide_crop": True, "resize": [512, 512]}, {"wide_crop": True, "resize": [512, 512]}),
    "cat": (16, 256, None, "lsuncat200k-paper256-ada", "karras2019stylegan-cats-256x256", 7, None, None),
    "face": (34, 512, None, "celeba28k-paper512-ada", "karras2019stylegan-celebahq-1024x1024", 8, None,
             {"wide_crop": False, "resize": [512, 512]}),
}
for obj, (k, size, max_size, sg2, sg1, cutoff, t2, t1) in DATASETGAN.items():
    base = {"class_name": "DatasetGANDataset", "rootdir": DG, "obj": obj, "img_size": size}
    if obj == "face":
        base["convert_34to8"] = False
    train = {**base, "split": "train", **({"max_size": max_size} if max_size else {})}
    val = {**base, "split": "test"}  # the reference validates on the DatasetGAN test set (its B8)
    for seg_name, seg in (("deeplab", DEEPLAB), ("unet", UNET)):
        write(f"stylegan2_fpn_{seg_name}_{obj}{k}", SG2 + sg2 + ".safetensors", cutoff, seg, train, val, t2)
        write(f"stylegan_fpn_{seg_name}_{obj}{k}", SG1 + sg1 + ".safetensors", cutoff, seg, train, val, t1)
write("car_stylegan2_256x192", SG2 + "stylegan2-car-config-f.safetensors", 8, DEEPLAB,
      {"class_name": "CGPart", "rootdir": "./data/CGPart_render/car", "obj_name": "car", "dst_shape": [256, 192],
       "length": 1000, "classes_version": "CGPart_car_simplified_v0",
       "selected_models": ["minivan", "suv", "sedan", "wagon"]},
      {"class_name": "CGPartReal", "rootdir": "./data/CGPart_real", "obj_name": "car", "split": "val",
       "short_side": 192, "classes_version": "CGPart_car_simplified_v0"},
      {"wide_crop": True, "resize": [256, 192]})  # read as (H, W), the reference's B7
print(f"wrote {len(os.listdir(OUT))} files to {OUT}")

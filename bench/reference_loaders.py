#!/usr/bin/env python3
"""Loader throughput, reference side: builds realistic fixture trees (once) and times a PIL/NumPy
transcription of the reference's loaders on them; bench_loaders times lagm's
loaders on the same trees for the ratio.
    python3 bench/reference_loaders.py DIR [N]     # N samples per data set (default 20)
Trees: CelebAMask-HQ (1024x1024 JPEG, 18 part masks of 512x512 per image, output 256),
DatasetGAN car (512x512 PNG + 512x512 int64 .npy, output 512), Pascal-Part crops (300x300 PNG, output 256).
"""
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

D = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rng = np.random.RandomState(0)
PARTS = ['skin', 'nose', 'eye_g', 'l_eye', 'r_eye', 'l_brow', 'r_brow', 'l_ear', 'r_ear', 'mouth', 'u_lip', 'l_lip',
         'hair', 'hat', 'ear_r', 'neck_l', 'neck', 'cloth']
C19_TO_8 = [0, 4, 7, 4, 2, 2, 3, 3, 1, 1, 6, 6, 6, 5, 0, 0, 0, 0, 0]  # the 8-class remap by 19-class index


def smooth_image(h, w):  # photo-like content so that JPEG/PNG sizes are realistic
    small = rng.randint(0, 256, (h // 32, w // 32, 3)).astype(np.uint8)
    return np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))


def build():
    if os.path.exists(f'{D}/.built_{N}'):
        return
    c = f'{D}/celeba'
    os.makedirs(f'{c}/CelebA-HQ-img', exist_ok=True)
    os.makedirs(f'{c}/CelebAMask-HQ-mask-anno/14', exist_ok=True)
    for i in range(28000, 28000 + N):
        Image.fromarray(smooth_image(1024, 1024)).save(f'{c}/CelebA-HQ-img/{i}.jpg', quality=90)
        for k, part in enumerate(PARTS):
            if k % 3 == 2:
                continue  # not every part is present
            m = np.zeros((512, 512), np.uint8)
            y, x = rng.randint(0, 400, 2)
            m[y:y + 100 + k, x:x + 90] = 255
            Image.fromarray(m).save(f'{c}/CelebAMask-HQ-mask-anno/14/{i:05d}_{part}.png')
    g = f'{D}/DatasetGAN/annotation/training_data/car_processed'
    os.makedirs(g, exist_ok=True)
    for i in range(N):
        Image.fromarray(smooth_image(512, 512)).save(f'{g}/image_{i}.png')
        lbl = np.repeat(np.repeat(rng.randint(0, 20, (16, 16)), 32, 0), 32, 1).astype(np.int64)
        np.save(f'{g}/image_mask{i}.npy', lbl)
    p = f'{D}/pascal_part/horse/train'
    os.makedirs(f'{p}/CroppedImages', exist_ok=True)
    os.makedirs(f'{p}/CroppedSegmentation', exist_ok=True)
    with open(f'{p}/train_set.txt', 'w') as f:
        for i in range(N):
            Image.fromarray(smooth_image(320, 320)[:300, :300]).save(f'{p}/CroppedImages/2008_{i:06d}_0.png')
            s = Image.fromarray(np.repeat(np.repeat(rng.randint(0, 6, (10, 10)), 30, 0), 30, 1).astype(np.uint8), 'P')
            s.save(f'{p}/CroppedSegmentation/2008_{i:06d}_0.png')
            f.write(f'2008_{i:06d}_0\n')
    open(f'{D}/.built_{N}', 'w').close()


def as_tensors(img, lbl):  # what the reference's __getitem__ returns: float image in [-1, 1], integer label
    img = torch.from_numpy(np.array(img)).permute(2, 0, 1).contiguous().float() / 127.5 - 1
    return img, torch.from_numpy(np.array(lbl)).long()


def celeba(i):
    img = Image.open(f'{D}/celeba/CelebA-HQ-img/{i}.jpg').convert('RGB').resize((256, 256))
    mask = np.zeros((512, 512), np.uint8)
    for k, part in enumerate(PARTS):
        path = f'{D}/celeba/CelebAMask-HQ-mask-anno/{i // 2000}/{i:05d}_{part}.png'
        if os.path.exists(path):
            mask[np.array(Image.open(path).convert('L')) > 0] = k + 1
    mask = np.array(C19_TO_8, np.uint8)[mask]
    lbl = Image.fromarray(mask).resize((256, 256), Image.NEAREST)
    return as_tensors(img, lbl)


def datasetgan(i):
    d = f'{D}/DatasetGAN/annotation/training_data/car_processed'
    img = Image.open(f'{d}/image_{i}.png').convert('RGB')
    lbl = np.load(f'{d}/image_mask{i}.npy')
    for t in range(1, 50):
        if (lbl == t).sum() < 30:
            lbl[lbl == t] = 0
    return as_tensors(img, Image.fromarray(lbl.astype(np.uint8)))


def pascal(i):
    p = f'{D}/pascal_part/horse/train'
    img = Image.open(f'{p}/CroppedImages/2008_{i:06d}_0.png').convert('RGB').resize((256, 256))
    seg = Image.open(f'{p}/CroppedSegmentation/2008_{i:06d}_0.png').resize((256, 256), Image.NEAREST)
    return as_tensors(img, seg)


torch.set_num_threads(1)  # a DataLoader worker is one thread; lagm's loaders run on one thread too
build()
for name, fn, ids in (('celeba', celeba, range(28000, 28000 + N)), ('datasetgan', datasetgan, range(N)),
                      ('pascal', pascal, range(N))):
    fn(ids[0])  # warm-up
    t = time.perf_counter()
    for i in ids:
        fn(i)
    dt = time.perf_counter() - t
    print(f'reference {name:<11} {N / dt:8.1f} samples/s')

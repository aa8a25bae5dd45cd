#!/usr/bin/env python3
"""Files in the formats of the data sets lagm reads, written by numpy, scipy and Pillow (Debian's
python3 packages), for the data, predict and CLI tests.

  numpy-shuffle OUT N      np.random.seed(0); shuffle(range(N)), space-separated
  npy-poke PATH            PATH's array with [0, 0] set to 9 (a mask value out of range)
  mat-without-anno PATH    a MAT file without the variable 'anno'
  mat-horse PATH           a compressed PASCAL-Part annotation: one horse (class 13) with a head
                           and a tail, masks 30x20
  photos DIR               RGB, grey, RGBA (in sub/), 16-bit grey (in sub/) PNGs and a JPEG
                           (photo.JPG) of odd sizes
  mask-to-16bit PATH       the palette mask PATH rewritten as a 16-bit grey PNG
"""
import os
import sys

import numpy as np


def numpy_shuffle(out, n):
    np.random.seed(0)
    x = list(range(int(n)))
    np.random.shuffle(x)
    with open(out, "w") as f:
        f.write(" ".join(map(str, x)))


def npy_poke(path):
    a = np.load(path)
    a[0, 0] = 9
    np.save(path, a)


def mat_without_anno(path):
    from scipy.io import savemat
    savemat(path, {"x": np.zeros((2, 2))})


def mat_horse(path):
    from scipy.io import savemat
    m = np.zeros((30, 20), np.uint8)
    m[3:9, 4:7] = 1
    parts = np.zeros((1, 2), dtype=[("part_name", "O"), ("mask", "O")])
    parts[0, 0]["part_name"], parts[0, 0]["mask"] = "head", m
    parts[0, 1]["part_name"], parts[0, 1]["mask"] = "tail", 1 - m
    objs = np.zeros((1, 1), dtype=[("class", "O"), ("class_ind", "O"), ("mask", "O"), ("parts", "O")])
    objs[0, 0]["class"], objs[0, 0]["class_ind"], objs[0, 0]["mask"] = "horse", 13, m
    objs[0, 0]["parts"] = parts
    savemat(path, {"anno": {"imname": "a", "objects": objs}}, do_compression=True)


def photos(d):
    from PIL import Image
    rng = np.random.RandomState(0)
    os.makedirs(d + "/sub")
    Image.fromarray(rng.randint(0, 255, (30, 50, 3), dtype=np.uint8)).save(d + "/rgb.png")
    Image.fromarray(rng.randint(0, 255, (23, 17), dtype=np.uint8)).save(d + "/grey.png")
    Image.fromarray(rng.randint(0, 255, (40, 20, 4), dtype=np.uint8), "RGBA").save(d + "/sub/rgba.png")
    Image.fromarray(rng.randint(0, 65535, (33, 31)).astype(np.uint16)).save(d + "/sub/deep.png")
    Image.fromarray(rng.randint(0, 255, (64, 48, 3), dtype=np.uint8)).save(d + "/photo.JPG", quality=90)


def mask_to_16bit(path):
    from PIL import Image
    a = np.array(Image.open(path)).astype(np.uint16)
    Image.fromarray(a).save(path)


COMMANDS = {"numpy-shuffle": numpy_shuffle, "npy-poke": npy_poke, "mat-without-anno": mat_without_anno,
            "mat-horse": mat_horse, "photos": photos, "mask-to-16bit": mask_to_16bit}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])

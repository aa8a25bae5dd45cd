#!/usr/bin/env python3
"""What numpy and Pillow write and read, for the io and core tests: each subcommand writes the
reference files a test compares lagm with, or asserts what Pillow/numpy read from a file lagm
wrote (a failed assertion exits non-zero, and the test fails). Debian's python3-numpy/-pil.

  numpy-random OUT                      randn(1, 7) of seeds 0, 1, 85, 2^32-1 and random_sample(5)
                                        of seed 3, as little-endian float64
  npy-dtypes DIR                        one .npy per dtype, a scalar, a Fortran-order and a
                                        big-endian array
  npy-ones PATH ROWS COLS               np.ones((ROWS, COLS)) as PATH
  check-npy-f16 PATH D0 D1 D2           PATH holds float16 of shape (D0, D1, D2)
  pil-resize IN OUT_DIR FILTER WxH...   IN resized by each filter to each size: OUT_DIR/<F><H>x<W>.png
  pil-nearest-indices OUT               per input width (512, 256, 300, 1024, 40, 37) and output
                                        width 1-300, the source columns NEAREST picks, one line each
  image-formats DIR                     JPEG, grey, RGBA and palette files and Pillow's RGB decoding
                                        of each (<name>.ref.png)
  uint16-png PATH                       a 16-bit grey PNG (value 257 at [0, 0])
  check-voc-palette PATH                PATH is a 9x5 palette PNG with VOC colours, [0, 0] = 255
  check-mask-text PATH KEY VALUE        colour 1 of PATH's palette is (250, 0, 0), its text KEY is VALUE
"""
import sys

import numpy as np


def numpy_random(out):
    a = np.concatenate([np.random.RandomState(s).randn(1, 7) for s in [0, 1, 85, 4294967295]])
    b = np.random.RandomState(3).random_sample(5)
    with open(out, "wb") as f:
        f.write(a.astype("<f8").tobytes() + b.astype("<f8").tobytes())


def npy_dtypes(d):
    for t in ["u1", "i1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "b1"]:
        np.save(f"{d}/{t}.npy", (np.arange(24).reshape(2, 3, 4) % 7).astype(t))
    np.save(f"{d}/scalar.npy", np.float32(2.5))
    np.save(f"{d}/fortran.npy", np.asfortranarray(np.ones((3, 2))))
    np.save(f"{d}/big.npy", np.zeros((3,), ">i4"))


def check_npy_f16(path, *shape):
    a = np.load(path)
    assert a.dtype == np.float16 and a.shape == tuple(int(s) for s in shape), (a.dtype, a.shape)


def pil_resize(src, out_dir, filter_name, *sizes):
    from PIL import Image
    im = Image.open(src)
    for size in sizes:
        w, h = (int(v) for v in size.split("x"))
        im.resize((w, h), getattr(Image, filter_name)).save(f"{out_dir}/{filter_name}{h}x{w}.png")


def pil_nearest_indices(out):
    from PIL import Image
    rows = []
    for n_in in (512, 256, 300, 1024, 40, 37):
        im = Image.fromarray(np.arange(n_in, dtype=np.int32)[None, :])
        for n_out in range(1, 301):
            rows.append(" ".join(map(str, np.asarray(im.resize((n_out, 1), Image.NEAREST))[0])))
    with open(out, "w") as f:
        f.write("\n".join(rows))


def image_formats(d):
    from PIL import Image
    rng = np.random.RandomState(0)
    rgb = rng.randint(0, 256, (13, 17, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(d + "/photo.jpg", quality=90)
    Image.fromarray(rgb[:, :, 0]).save(d + "/gray.png")
    rgba = rng.randint(0, 256, (13, 17, 4)).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(d + "/rgba.png")
    Image.fromarray(rgb).convert("P").save(d + "/pal.png")
    Image.fromarray(rgb[:, :, 0]).save(d + "/gray.jpg")
    for n in ["photo.jpg", "gray.png", "rgba.png", "pal.png", "gray.jpg"]:
        Image.open(d + "/" + n).convert("RGB").save(d + "/" + n + ".ref.png")


def uint16_png(path):
    from PIL import Image
    a = (np.arange(16, dtype=np.uint16) % 8).reshape(4, 4)
    a[0, 0] = 257
    Image.fromarray(a).save(path)
    mode = Image.open(path).mode
    assert mode.startswith("I"), mode


def check_voc_palette(path):
    from PIL import Image
    im = Image.open(path)
    assert im.mode == "P", im.mode
    a = np.array(im)
    assert a.shape == (9, 5) and a[0, 0] == 255, (a.shape, a[0, 0])
    p = im.getpalette()
    assert p[3:6] == [128, 0, 0] and p[6:9] == [0, 128, 0], p[:9]
    assert p[45:48] == [192, 128, 128], p[45:48]


def check_mask_text(path, key, value):
    from PIL import Image
    im = Image.open(path)
    assert im.getpalette()[3:6] == [250, 0, 0], im.getpalette()[:9]
    assert im.info[key] == value, im.info


COMMANDS = {"numpy-random": numpy_random, "npy-dtypes": npy_dtypes,
            "npy-ones": lambda p, r, c: np.save(p, np.ones((int(r), int(c)))),
            "check-npy-f16": check_npy_f16, "pil-resize": pil_resize,
            "pil-nearest-indices": pil_nearest_indices, "image-formats": image_formats,
            "uint16-png": uint16_png, "check-voc-palette": check_voc_palette,
            "check-mask-text": check_mask_text}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])

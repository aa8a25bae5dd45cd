# Builds tiny copies of the paper's data-set layouts and the reference loaders' expected outputs.
# Usage: python3 paper_datasets_fixture.py OUT_DIR
import json, os, sys
import numpy as np
from PIL import Image
D = sys.argv[1]
rng = np.random.RandomState(0)
def mk(p): os.makedirs(p, exist_ok=True)
def exp(name, img, lbl):
    mk(f'{D}/expected')
    np.save(f'{D}/expected/{name}_img.npy', np.asarray(img, np.uint8))
    np.save(f'{D}/expected/{name}_lbl.npy', np.asarray(lbl, np.int64))
def rand_img(h, w, c=3): return rng.randint(0, 256, (h, w, c)).astype(np.uint8)
def palette(): 
    p = []
    for i in range(256):
        c = [0, 0, 0]; cid = i
        for j in range(8):
            for k in range(3): c[k] |= ((cid >> k) & 1) << (7 - j)
            cid >>= 3
        p += c
    return p
def save_p(a, path):
    im = Image.fromarray(np.asarray(a, np.uint8), 'P'); im.putpalette(palette()); im.save(path)

# --- CelebAMask-HQ ---------------------------------------------------------------------------
parts = ['background','skin','nose','eye_g','l_eye','r_eye','l_brow','r_brow','l_ear','r_ear','mouth','u_lip','l_lip',
         'hair','hat','ear_r','neck_l','neck','cloth']
R = f'{D}/celeba'; mk(f'{R}/CelebA-HQ-img'); mk(f'{R}/CelebAMask-HQ-mask-anno/14')
for i in (28000, 28001, 28002):
    Image.fromarray(rand_img(96, 96)).save(f'{R}/CelebA-HQ-img/{i}.jpg', quality=95)
for name in ('skin', 'eye_g', 'l_eye', 'hair', 'u_lip', 'hat', 'neck'):
    m = np.zeros((512, 512, 3), np.uint8); y, x = rng.randint(0, 380, 2); m[y:y + 130, x:x + 130] = 255
    m[0:3, 0:3] = (1, 0, 0)   # convert('L') gives 0: not part
    m[5, 5] = (0, 0, 3)        # L = 0 too
    m[7, 7] = (0, 1, 1)        # L = 1: part
    if name in ('hair', 'neck'): Image.fromarray(m[:, :, 0]).save(f'{R}/CelebAMask-HQ-mask-anno/14/28000_{name}.png')
    else: Image.fromarray(m).save(f'{R}/CelebAMask-HQ-mask-anno/14/28000_{name}.png')
def celeba_expected(i, size):
    mask = np.zeros((512, 512), np.uint8)
    for c in range(1, 19):
        p = f'{R}/CelebAMask-HQ-mask-anno/{i // 2000}/{i:05d}_{parts[c]}.png'
        if os.path.exists(p): mask[np.array(Image.open(p).convert('L')) > 0] = c
    m8 = mask.copy(); m8[mask > 0] = 4
    for s in (14, 15, 16, 17, 18): m8[mask == s] = 0
    m8[mask == 2] = 7; m8[(mask == 4) | (mask == 5)] = 2; m8[(mask == 6) | (mask == 7)] = 3
    m8[(mask == 8) | (mask == 9)] = 1; m8[(mask == 10) | (mask == 11) | (mask == 12)] = 6; m8[mask == 13] = 5
    wh = size if isinstance(size, tuple) else (size, size)  # PIL: (width, height)
    img = Image.open(f'{R}/CelebA-HQ-img/{i}.jpg').resize(wh)
    lbl = Image.fromarray(m8).resize(wh, Image.NEAREST)
    return np.array(img), np.array(lbl)
for i in (28000, 28001): exp(f'celeba_{i}', *celeba_expected(i, 40))
exp('celeba_28000_48x32', *celeba_expected(28000, (48, 32)))

# --- DatasetGAN car ----------------------------------------------------------------------------
G = f'{D}/dg/training_data/car_processed'; mk(G)
for n, shape3 in ((1, False), (2, True), (10, False)):
    img = rand_img(40, 48, 4 if n == 2 else 3)
    Image.fromarray(img).save(f'{G}/image_{n}.png')
    lbl = np.zeros((40, 48), np.int64)
    lbl[0:10, 0:10] = 3          # 100 px: kept
    lbl[20:24, 20:25] = 7        # 20 px: removed by the < 30 rule
    lbl[30:40, 0:5] = 19         # 50 px: kept
    lbl[35:40, 40:48] = 55       # >= 50 is never cleaned (then out of range for 20 classes? keep < 20)
    lbl[35:40, 40:48] = 12
    arr = np.stack([lbl, np.full_like(lbl, 5)]) if shape3 else lbl
    np.save(f'{G}/image_mask{n}.npy', arr.astype(np.float32) if shape3 else arr)
def dg_expected(n, size):
    lbl = np.load(f'{G}/image_mask{n}.npy')
    if lbl.ndim == 3: lbl = lbl[0]
    for t in range(1, 50):
        if (lbl == t).sum() < 30: lbl[lbl == t] = 0
    lbl = Image.fromarray(lbl.astype(np.uint8), 'L')
    wh = size if isinstance(size, tuple) else (size, size)
    img = Image.open(f'{G}/image_{n}.png').convert('RGB').resize(wh)
    return np.array(img), np.array(lbl.resize(wh, Image.NEAREST))
for k, n in enumerate((1, 2, 10)): exp(f'dg_{k}', *dg_expected(n, 32))
exp('dg_0_40x24', *dg_expected(1, (40, 24)))

# --- Pascal-Part (prepared crops) ------------------------------------------------------------
P = f'{D}/pascal_part/horse/train'; mk(f'{P}/CroppedImages'); mk(f'{P}/CroppedSegmentation')
for stem in ('2008_000001_0', '2008_000002_1', '2009_000003_0'):
    Image.fromarray(rand_img(50, 50)).save(f'{P}/CroppedImages/{stem}.png')
    s = np.zeros((50, 50), np.uint8); s[10:30, 5:45] = rng.randint(1, 6); s[40:45, 10:20] = 3
    save_p(s, f'{P}/CroppedSegmentation/{stem}.png')
open(f'{P}/train_set.txt', 'w').write('2008_000002_1\n2008_000001_0\n')
open(f'{P}/val_set.txt', 'w').write('2009_000003_0\n')
for stem in ('2008_000001_0', '2008_000002_1', '2009_000003_0'):
    exp(f'pascal_{stem}', np.array(Image.open(f'{P}/CroppedImages/{stem}.png').convert('RGB').resize((32, 32))),
        np.array(Image.open(f'{P}/CroppedSegmentation/{stem}.png').resize((32, 32), Image.NEAREST)))
stem = '2008_000002_1'
exp(f'pascal_{stem}_36x20', np.array(Image.open(f'{P}/CroppedImages/{stem}.png').convert('RGB').resize((36, 20))),
    np.array(Image.open(f'{P}/CroppedSegmentation/{stem}.png').resize((36, 20), Image.NEAREST)))

# --- CGPart renders and CGPart-real ----------------------------------------------------------
C = f'{D}/cgpart'
v0 = [0, 1, 3, 12, 13, 7, 3, 12, 13, 14, 4, 3, 12, 13, 7, 3, 12, 13, 14, 6, 2, 5, 8, 13, 10, 2, 5, 8, 13, 10, 9, 11]
ids = {'minivan': '4ef6af15bcc78650bedced414fad522f', 'suv': '473dd606c5ef340638805e546aa28d99'}
allfiles = []
for model in ('minivan', 'suv'):
    mk(f'{C}/image/{ids[model]}'); mk(f'{C}/seg/{ids[model]}')
    for k in range(3):
        Image.fromarray(rand_img(30, 40, 4)).save(f'{C}/image/{ids[model]}/r{k}.png')
        s = rng.randint(0, 32, (30, 40)).astype(np.uint8); save_p(s, f'{C}/seg/{ids[model]}/r{k}.png')
        allfiles.append((ids[model], f'r{k}'))
np.random.seed(0); order = list(range(len(allfiles))); np.random.shuffle(order); order = order[:4]
for j, i in enumerate(order):
    mid, stem = allfiles[i]
    img = Image.open(f'{C}/image/{mid}/{stem}.png').convert('RGB').resize((16, 12), Image.LANCZOS)
    seg = np.array(Image.open(f'{C}/seg/{mid}/{stem}.png').resize((16, 12), Image.NEAREST))
    exp(f'cgpart_{j}', np.array(img), np.array(v0, np.uint8)[seg])
    open(f'{D}/expected/cgpart_{j}_id.txt', 'w').write(f'{mid}/{stem}')
Q = f'{D}/cgpart_real'; mk(f'{Q}/Image_sets'); mk(f'{Q}/Images/car_imagenet_cropped'); mk(f'{Q}/Annotations_png/car_imagenet_cropped')
open(f'{Q}/Image_sets/car_imagenet_val.txt', 'w').write('n1\nn2\n')
for name, (h, w) in (('n1', (30, 40)), ('n2', (44, 30))):
    Image.fromarray(rand_img(h, w)).save(f'{Q}/Images/car_imagenet_cropped/{name}.JPEG', quality=95)
    s = rng.randint(0, 32, (h, w)).astype(np.uint8); save_p(s, f'{Q}/Annotations_png/car_imagenet_cropped/{name}.png')
    img = Image.open(f'{Q}/Images/car_imagenet_cropped/{name}.JPEG')
    short, long = (w, h) if w <= h else (h, w)
    nw, nh = (15, int(15 * long / short)) if w <= h else (int(15 * long / short), 15)
    seg = np.array(Image.open(f'{Q}/Annotations_png/car_imagenet_cropped/{name}.png').resize((nw, nh), Image.NEAREST))
    exp(f'cgreal_{name}', np.array(img.resize((nw, nh), Image.BILINEAR)), np.array(v0, np.uint8)[seg])

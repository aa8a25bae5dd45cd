# Builds image/mask pairs in the sorted-pairs layout and the reference loader's expected arrays.
# Usage: python3 sorted_pairs_fixture.py OUT_DIR
import os, sys
import numpy as np
from PIL import Image
OUT = sys.argv[1]
rng = np.random.RandomState(3)
T = f'{OUT}/test'; E = f'{OUT}/expected'
os.makedirs(T); os.makedirs(E)
# 12 pairs: lexicographic order puts image_10, image_11 after image_1.
for i in range(12):
    img = rng.randint(0, 256, (20, 24, 3)).astype(np.uint8)
    if i == 4: Image.fromarray(img).save(f'{T}/image_{i}.jpg', quality=92)
    elif i == 5: Image.fromarray(np.concatenate([img, np.full((20, 24, 1), 7, np.uint8)], 2)).save(f'{T}/image_{i}.png')
    else: Image.fromarray(img).save(f'{T}/image_{i}.png')
    lbl = rng.randint(0, 4, (20, 24))
    lbl[0:3, 0:2] = 1                   # 6 pixels: DatasetGAN would clean this up; test_seg does not
    if i == 3: np.save(f'{T}/image_mask{i}.npy', np.stack([lbl, np.full_like(lbl, 2)], 2).astype(np.float32))
    elif i == 6: np.save(f'{T}/image_mask{i}.npy', (lbl + 256).astype(np.int64))   # astype(uint8) wraps
    else: np.save(f'{T}/image_mask{i}.npy', lbl.astype(np.int64))
images = sorted(f for f in os.listdir(T) if 'npy' not in f)
labels = sorted(f for f in os.listdir(T) if 'npy' in f)
for k, (a, b) in enumerate(zip(images, labels)):
    im = Image.open(f'{T}/{a}').convert('RGB').resize((16, 16))
    l = np.load(f'{T}/{b}')
    if l.ndim == 3: l = l[:, :, 0]
    l = Image.fromarray(l.astype('uint8')).resize((16, 16), Image.NEAREST)
    np.save(f'{E}/{k}_img.npy', np.asarray(im)); np.save(f'{E}/{k}_lbl.npy', np.asarray(l).astype(np.int64))
    open(f'{E}/{k}.id', 'w').write(os.path.splitext(a)[0])

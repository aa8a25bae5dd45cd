# Builds a tiny PASCAL-Part tree (VOC images, part .mat files) and the reference preparation's expected crops.
# Usage: python3 pascal_part_fixture.py OUT_DIR
import json, os, sys
import numpy as np
from PIL import Image
from scipy.io import savemat
OUT = sys.argv[1]
rng = np.random.RandomState(7)
V = f'{OUT}/VOC2010'
for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main', 'part_segmentation/Annotations_Part'):
    os.makedirs(f'{V}/{sub}', exist_ok=True)

def struct_array(rows, fields):
    a = np.zeros((1, len(rows)), dtype=[(f, 'O') for f in fields])
    for i, r in enumerate(rows):
        for f in fields: a[0, i][f] = r[f]
    return a

# An image: size, and objects (class, box (1-based inclusive), parts [(name, rect)], silhouette-only?).
# Part rects are (y0, y1, x0, x1) 0-based half-open, always inside the object's box.
def make_image(name, h, w, objects, compress):
    img = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
    Image.fromarray(img).save(f'{V}/JPEGImages/{name}.jpg', quality=90)
    mat_objects, xml = [], ''
    for cls, (x1, y1, x2, y2), parts in objects:
        sil = np.zeros((h, w), np.uint8); sil[y1 - 1:y2, x1 - 1:x2] = 1
        prows = []
        for pname, (a, b, c, d) in parts:
            m = np.zeros((h, w), np.uint8); m[a:b, c:d] = 1; prows.append({'part_name': pname, 'mask': m})
        mat_objects.append({'class': cls, 'class_ind': np.array([[13 if cls == 'horse' else 15]], np.uint8),
                            'mask': sil,
                            'parts': struct_array(prows, ['part_name', 'mask']) if prows else np.zeros((0, 0))})
        xml += (f'<object><name>{cls}</name><pose>Left</pose><truncated>0</truncated><difficult>0</difficult>'
                f'<bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>')
    with open(f'{V}/Annotations/{name}.xml', 'w') as f:
        f.write(f'<annotation><filename>{name}.jpg</filename><size><width>{w}</width><height>{h}</height>'
                f'<depth>3</depth></size>{xml}</annotation>')
    anno = {'imname': name, 'objects': struct_array(mat_objects, ['class', 'class_ind', 'mask', 'parts'])}
    savemat(f'{V}/part_segmentation/Annotations_Part/{name}.mat', {'anno': anno}, do_compression=compress)

train, val = [], []
# 1: one horse with overlapping parts (the later part wins), a person, a negative list entry.
make_image('2008_000001', 120, 160, [
    ('person', (5, 5, 40, 60), [('head', (4, 10, 4, 10))]),
    ('horse', (50, 20, 140, 100), [('torso', (30, 80, 60, 120)), ('lfuleg', (60, 99, 70, 90)), ('head', (19, 40, 49, 70)),
                                   ('tail', (50, 70, 125, 140)), ('neck', (40, 60, 60, 80))])], True)
# 2: two horses whose overlap is 4.3 % of the enclosing box (kept) though their IoU is 6.5 %, and a
#    horse below --min-box-side (discarded but still counted in the crop index).
make_image('2008_000002', 180, 180, [
    ('horse', (1, 1, 100, 100), [('lbuleg', (0, 100, 0, 100))]),
    ('horse', (160, 160, 175, 175), [('rear', (159, 175, 159, 175))]),
    ('horse', (66, 66, 165, 165), [('muzzle', (120, 165, 120, 165))])], False)
# 3: two horses with heavy overlap (both discarded) and one next to the border, wider than the image
#    is tall (the square is clipped, then padded).
make_image('2008_000003', 60, 200, [
    ('horse', (10, 5, 60, 50), [('torso', (5, 50, 10, 60))]),
    ('horse', (20, 10, 70, 55), [('torso', (10, 55, 20, 70))]),
    ('horse', (120, 20, 199, 58), [('rbho', (40, 58, 150, 199))])], True)
# 4: a silhouette-only horse and a horse with a tiny part: both under the 1 % rule.
make_image('2008_000004', 100, 100, [
    ('horse', (5, 5, 45, 45), []),
    ('horse', (55, 55, 95, 95), [('tail', (60, 62, 60, 63))])], False)
# 5: listed as positive, but annotated without any horse: no output at all.
make_image('2008_000005', 50, 50, [('person', (5, 5, 40, 40), [('head', (5, 10, 5, 10))])], True)
for k in range(1, 6): train.append(f'2008_00000{k}  1')
train += ['2008_000006 -1', '2008_000007  0']
# Many small single-horse images so the train crops pass 180 (the first 180 sorted -> train_set.txt).
for k in range(40):
    name = f'2009_{k:06d}'
    objs = [('horse', (1 + 40 * j, 1, 36 + 40 * j, 36), [('torso', (2, 30, 40 * j + 2, 40 * j + 30))]) for j in range(5)]
    make_image(name, 40, 200, objs, k % 2 == 0)
    train.append(f'{name}  1')
# VOC val -> test.
make_image('2010_000001', 80, 90, [('horse', (10, 10, 80, 70), [('neck', (20, 50, 20, 60)), ('lfho', (60, 70, 40, 60))])], True)
val += ['2010_000001  1', '2010_000002 -1']
with open(f'{V}/ImageSets/Main/horse_train.txt', 'w') as f: f.write('\n'.join(train) + '\n')
with open(f'{V}/ImageSets/Main/horse_val.txt', 'w') as f: f.write('\n'.join(val) + '\n')

# ---- expected output, from the spec's rules -------------------------------------------------
HORSE = dict(head=1, leye=1, reye=1, lear=1, rear=1, muzzle=1, torso=2, neck=4, tail=5,
             **{p: 3 for p in ('lfuleg', 'lflleg', 'rfuleg', 'rflleg', 'lbuleg', 'lblleg', 'rbuleg', 'rblleg',
                               'lfho', 'rfho', 'lbho', 'rbho')})
E = f'{OUT}/expected'; os.makedirs(E, exist_ok=True)
def positives(split):
    out = []
    for line in open(f'{V}/ImageSets/Main/horse_{split}.txt'):
        t = line.split()
        if t and t[-1] == '1': out.append(t[0])
    return out
def part_map(name):
    from scipy.io import loadmat
    a = loadmat(f'{V}/part_segmentation/Annotations_Part/{name}.mat')['anno'][0, 0]
    objs = a['objects'][0]
    h, w = objs[0]['mask'].shape
    m = np.zeros((h, w), np.uint8); any_horse = False
    for o in objs:
        if o['class'][0] != 'horse': continue
        any_horse = True
        if o['parts'].size == 0: continue
        for p in o['parts'][0]: m[p['mask'].astype(bool)] = HORSE[p['part_name'][0]]
    return m if any_horse else None
def boxes_of(name):
    import xml.etree.ElementTree as ET
    r = ET.parse(f'{V}/Annotations/{name}.xml').getroot()
    return [[int(o.find('bndbox').find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
            for o in r.findall('object') if o.find('name').text == 'horse']
def overlap(a, b):  # intersection over the enclosing box, raw coordinates
    iw = max(min(a[2], b[2]) - max(a[0], b[0]), 0); ih = max(min(a[3], b[3]) - max(a[1], b[1]), 0)
    ew = max(max(a[2], b[2]) - min(a[0], b[0]), 0); eh = max(max(a[3], b[3]) - min(a[1], b[1]), 0)
    return iw * ih / (ew * eh + 1e-8)
def square(b, H, W):
    x1, y1, x2, y2 = b[0] - 1, b[1] - 1, b[2], b[3]
    w, h = x2 - x1, y2 - y1; s = max(w, h)
    cx = min(max((x1 + x2) / 2, min(W / 2, w / 2)), max(W / 2, W - w / 2))
    cy = min(max((y1 + y2) / 2, min(H / 2, h / 2)), max(H / 2, H - h / 2))
    c = lambda v, hi: min(max(v, 0), hi)
    return int(c(cx - s / 2, W)), int(c(cy - s / 2, H)), int(c(cx + s / 2, W)), int(c(cy + s / 2, H))
def pad_crop(a, bx):
    x1, y1, x2, y2 = bx; bw, bh = x2 - x1, y2 - y1; s = max(bw, bh)
    out = np.zeros((s, s) + a.shape[2:], np.uint8)
    px, py = (s - bw) // 2, (s - bh) // 2
    out[py:py + bh, px:px + bw] = a[y1:y2, x1:x2]
    return out
summary = {}
for split, dest in (('train', 'train'), ('val', 'test')):
    crops = []
    for name in sorted(positives(split)):
        m = part_map(name)
        if m is None: continue
        np.save(f'{E}/{dest}_seg_{name}.npy', m)
        img = np.asarray(Image.open(f'{V}/JPEGImages/{name}.jpg'))
        bs = boxes_of(name)
        for k, b in enumerate(bs):
            if any(overlap(b, o) > 0.05 for j, o in enumerate(bs) if j != k): continue
            if b[2] - b[0] + 1 < 32 or b[3] - b[1] + 1 < 32: continue
            bx = square(b, *m.shape)
            sc = pad_crop(m, bx)
            if np.mean(sc > 0) < 0.01: continue
            crops.append(f'{name}_{k}')
            np.save(f'{E}/{dest}_crop_img_{name}_{k}.npy', pad_crop(img, bx))
            np.save(f'{E}/{dest}_crop_seg_{name}_{k}.npy', sc)
    summary[dest] = sorted(crops)
json.dump(summary, open(f'{E}/summary.json', 'w'))

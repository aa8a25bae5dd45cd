#!/usr/bin/python3
"""Writes the seed corpora of the libFuzzer targets (fuzz/corpus/<target>/): small valid inputs of
every format lagm parses, so that fuzzing starts from the interesting paths. Deterministic.
Usage: tools/python/make_fuzz_corpus.py [OUT=fuzz/corpus]"""
import io, json, os, struct, sys

import numpy as np
from PIL import Image
from scipy.io import savemat

out = sys.argv[1] if len(sys.argv) > 1 else 'fuzz/corpus'
rng = np.random.RandomState(0)


def put(target, name, data):
    os.makedirs(f'{out}/{target}', exist_ok=True)
    with open(f'{out}/{target}/{name}', 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, (dtype, arr) in tensors.items():
        b = arr.tobytes()
        header[name] = {'dtype': dtype, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    return struct.pack('<Q', len(h)) + h + b''.join(blobs)


put('safetensors', 'f32_i64', safetensors({'w': ('F32', rng.randn(2, 3).astype('<f4')),
                                           'steps': ('I64', np.array([7], '<i8'))}, {'lagm': '{"kind": "segmenter"}'}))
put('safetensors', 'bf16_u8', safetensors({'x': ('BF16', np.arange(4, dtype='<u2')), 'm': ('U8', np.arange(3, dtype='u1'))}))
put('safetensors', 'empty', safetensors({}))

for name, arr in {'f4': rng.randn(2, 3).astype('<f4'), 'i8': np.arange(5, dtype='<i8'), 'u1_3d': np.zeros((2, 2, 2), 'u1'),
                  'f8_fortran': np.asfortranarray(rng.randn(3, 2)), 'bool': np.array([True, False])}.items():
    buf = io.BytesIO()
    np.save(buf, arr)
    put('npy', name, buf.getvalue())

def png(img, **kw):
    buf = io.BytesIO()
    img.save(buf, format='PNG', **kw)
    return buf.getvalue()

rgb = Image.fromarray(rng.randint(0, 256, (6, 5, 3)).astype(np.uint8))
put('image', 'rgb.png', png(rgb))
put('image', 'rgba.png', png(rgb.convert('RGBA')))
put('image', 'gray.png', png(rgb.convert('L')))
put('image', 'gray16.png', png(Image.fromarray((np.arange(30, dtype=np.uint16) * 300).reshape(6, 5))))
pal = Image.fromarray(rng.randint(0, 8, (6, 5)).astype(np.uint8), mode='P')
pal.putpalette([v for i in range(256) for v in (i, 255 - i, i // 2)])
put('image', 'palette.png', png(pal))
put('image', 'onebit.png', png(Image.fromarray((rng.rand(6, 5) > 0.5)).convert('1')))
buf = io.BytesIO(); rgb.save(buf, format='JPEG', quality=90); put('image', 'rgb.jpg', buf.getvalue())
buf = io.BytesIO(); rgb.convert('L').save(buf, format='JPEG'); put('image', 'gray.jpg', buf.getvalue())

put('config', 'project.json', json.dumps({
    'generator': 'G.safetensors', 'truncation_psi': 0.7, 'truncation_cutoff': 8, 'noise_mode': 'random',
    'training_set': {'path': 'data/labelled', 'img_size': 64, 'limit': 10}, 'validation_set': {'path': 'data/val'},
    'annotator': {'tmp_channels': 32, 'num_layers': 3}, 'segmenter': {'arch': 'unet', 'base_channels': 16},
    'gm_params': 'up4.*|outc.*', 'matcher': {'metric': 'cosine', 'reduction': 'mean', 'magnitude_weight': 0},
    'annotator_optimizer': {'kind': 'adam', 'lr': 0.001}, 'segmenter_optimizer': {'kind': 'sgd', 'lr': 0.001, 'momentum': 0.9},
    'class_balance_power': 1, 'label_batch': 0, 'batch': 2, 'total_iters': 400,
    'transform': {'wide_crop': True, 'resize': [256, 192]}}))
put('config', 'reference.json', json.dumps({
    'generator_pkl': './checkpoints/stylegan2/face.pkl', 'G_kwargs': {'truncation_psi': 0.7},
    'training_set_kwargs': {'class_name': 'CelebAMaskDataset', 'rootdir': './data/CelebAMask', 'split': 'train',
                            'limit_size': 10, 'img_size': 512},
    'A_kwargs': {'tmp_channels': 128}, 'S_kwargs': {'class_name': 'DeepLab', 'backbone': 'resnet101'},
    'A_opt_kwargs': {'class_name': 'torch.optim.SGD', 'lr': 0.001, 'momentum': 0.9},
    'S_opt_kwargs': {'class_name': 'torch.optim.Adam', 'lr': 0.001}, 'gmparam_regex': 'r5head', 'batch_size': 2}))
put('config', 'dataset_spec.json', json.dumps({'class_name': 'SortedPairsDataset', 'rootdir': 'data', 'img_size': [256, 192]}))

put('voc_xml', 'two_objects.xml',
    '<annotation><filename>2008_000001.jpg</filename><size><width>160</width><height>120</height><depth>3</depth></size>'
    '<object><name>horse</name><pose>Left</pose><truncated>0</truncated><difficult>0</difficult>'
    '<bndbox><xmin>10</xmin><ymin>20</ymin><xmax>100</xmax><ymax>110</ymax></bndbox></object>'
    '<object><name>person</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>'
    '</annotation>')

def struct_array(rows, fields):
    a = np.zeros((1, len(rows)), dtype=[(f, 'O') for f in fields])
    for i, r in enumerate(rows):
        for f in fields:
            a[0, i][f] = r[f]
    return a

for compress in (False, True):
    h, w = 12, 10
    sil = np.zeros((h, w), np.uint8); sil[2:10, 1:9] = 1
    part = np.zeros((h, w), np.uint8); part[2:5, 1:4] = 1
    objects = struct_array([{'class': 'horse', 'class_ind': np.array([[13]], np.uint8), 'mask': sil,
                             'parts': struct_array([{'part_name': 'head', 'mask': part}], ['part_name', 'mask'])}],
                           ['class', 'class_ind', 'mask', 'parts'])
    buf = io.BytesIO()
    savemat(buf, {'anno': {'imname': '2008_000001', 'objects': objects}}, do_compression=compress)
    put('pascal_part_mat', f'horse_{"zlib" if compress else "plain"}.mat', buf.getvalue())
print(f'{out}: seed corpora written')

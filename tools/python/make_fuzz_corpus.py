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


def tiny_generator():
    """A StyleGAN2 generator at 8 px, 4 channels, one mapping layer: its kwargs and state dict."""
    import torch
    g = torch.Generator().manual_seed(0)
    r = lambda *shape: torch.randn(*shape, generator=g)  # noqa: E731
    f4 = torch.outer(torch.tensor([1., 3, 3, 1]), torch.tensor([1., 3, 3, 1])) / 64
    sd = {'mapping.fc0.weight': r(4, 4), 'mapping.fc0.bias': r(4), 'mapping.w_avg': r(4),
          'synthesis.b4.const': r(4, 4, 4), 'synthesis.b4.resample_filter': f4}
    def layer(name, res, up, torgb=False):
        sd[name + '.weight'] = r(3 if torgb else 4, 4, 1 if torgb else 3, 1 if torgb else 3)
        if not torgb:
            sd[name + '.noise_strength'] = r(())
        sd[name + '.bias'] = r(3 if torgb else 4)
        if not torgb:
            sd[name + '.resample_filter'] = f4
            sd[name + '.noise_const'] = r(res, res)
        sd[name + '.affine.weight'] = r(4, 4)
        sd[name + '.affine.bias'] = r(4)
    layer('synthesis.b4.conv1', 4, False)
    layer('synthesis.b4.torgb', 4, False, True)
    sd['synthesis.b8.resample_filter'] = f4
    layer('synthesis.b8.conv0', 8, True)
    layer('synthesis.b8.conv1', 8, False)
    layer('synthesis.b8.torgb', 8, False, True)
    kwargs = {'z_dim': 4, 'c_dim': 0, 'w_dim': 4, 'img_resolution': 8, 'img_channels': 3,
              'mapping_kwargs': {'num_layers': 1},
              'synthesis_kwargs': {'channel_base': 32, 'channel_max': 4, 'num_fp16_res': 0,
                                   'conv_clamp': None, 'architecture': 'skip'}}
    return kwargs, sd


def pickles():
    """Network pickles in both layouts, a legacy torch file, plain values at each protocol and a
    hostile pickle, all small."""
    import collections, pickle, subprocess, tempfile
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import lagm_safetensors
    kwargs, sd = tiny_generator()
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        lagm_safetensors.save({'G.' + k: v.contiguous() for k, v in sd.items()}, f'{tmp}/w.safetensors', {})
        with open(f'{tmp}/kw.json', 'w') as f:
            json.dump(kwargs, f)
        for maker, name in (('make_persistent_pickle', 'ada_network.pkl'), ('make_tf_pickle', 'tf_network.pkl')):
            subprocess.run([sys.executable, f'{here}/{maker}.py', f'{tmp}/w.safetensors', 'G.', f'{tmp}/kw.json',
                            f'{tmp}/{name}'], check=True)
            put('pickle', name, open(f'{tmp}/{name}', 'rb').read())
        legacy = collections.OrderedDict((k, v) for k, v in list(sd.items())[:4])
        torch.save(legacy, f'{tmp}/legacy.pt', _use_new_zipfile_serialization=False)
        put('pickle', 'legacy_state_dict.pt', open(f'{tmp}/legacy.pt', 'rb').read())
    values = collections.OrderedDict([('none', None), ('ints', [0, -1, 2**40, 2**70]), ('float', 0.5),
                                      ('text', 'é'), ('bytes', b'\x00\xff'), ('set', {1}), ('t', (1,)),
                                      ('tensor', torch.arange(6.).reshape(2, 3).t()),
                                      ('array', np.arange(4, dtype='>f4')), ('scalar', np.float64(1))])
    for protocol in (2, 3, 4, 5):
        put('pickle', f'values_p{protocol}.pkl', pickle.dumps(values, protocol=protocol))
    put('pickle', 'refused_global.pkl', b'\x80\x02cos\nsystem\n(X\x04\x00\x00\x00trueR.')


pickles()
print(f'{out}: seed corpora written')

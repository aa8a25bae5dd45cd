# Writes MAT v5 files of every array kind lagm's reader handles (scipy.io.savemat, compressed and
# not) and, beside them, what each array holds, for tests/data/mat_v5_reader_test.cpp.
# Usage: python3 mat_v5_arrays.py OUT_DIR
import json, sys
import numpy as np
from scipy.io import savemat
OUT = sys.argv[1]
rng = np.random.RandomState(3)
st = np.zeros((1, 2), dtype=[('name', 'O'), ('value', 'O')])
st[0, 0]['name'] = 'first'; st[0, 0]['value'] = np.array([[1.5, -2.0]])
st[0, 1]['name'] = 'second'; st[0, 1]['value'] = np.zeros((0, 0))
cell = np.empty((1, 2), dtype=object)
cell[0, 0] = 'x'; cell[0, 1] = np.array([[7, 8, 9]], np.int32)
arrays = {
    'doubles': rng.randn(3, 4),
    'bytes': rng.randint(0, 256, (5, 2)).astype(np.uint8),
    'shorts': rng.randint(-30000, 30000, (2, 3)).astype(np.int16),
    'singles': rng.randn(2, 2).astype(np.float32),
    'flags': rng.rand(3, 3) > 0.5,
    'word': 'horse',
    'cube': np.arange(24, dtype=np.float64).reshape(2, 3, 4),
}
for compress in (False, True):
    savemat(f'{OUT}/arrays_{int(compress)}.mat', dict(arrays, st=st, cell=cell), do_compression=compress)
# Column-major values, as MATLAB stores them.
expected = {k: {'dims': list(v.shape), 'values': [float(x) for x in np.asarray(v).flatten(order='F')]}
            for k, v in arrays.items() if k != 'word'}
json.dump(expected, open(f'{OUT}/expected.json', 'w'))
# Inflated sizes on both sides of the reader's 64 MB budget: 56 MB (read) and 72 MB (refused).
savemat(f'{OUT}/inflates_56mb.mat', {'z': np.zeros((7000, 1000))}, do_compression=True)
savemat(f'{OUT}/inflates_72mb.mat', {'z': np.zeros((9000, 1000))}, do_compression=True)

# A PASCAL-Part tree whose only horse carries a cow's part name ('lhorn').
# Usage: python3 pascal_part_unknown_part.py OUT_DIR
import os, sys
import numpy as np
from PIL import Image
from scipy.io import savemat
OUT = sys.argv[1]
V = f'{OUT}/VOC'
for s in ('JPEGImages', 'Annotations', 'ImageSets/Main', 'part_segmentation/Annotations_Part'): os.makedirs(f'{V}/{s}')
Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(f'{V}/JPEGImages/a.jpg')
open(f'{V}/ImageSets/Main/horse_train.txt', 'w').write('a  1\n')
open(f'{V}/ImageSets/Main/horse_val.txt', 'w').write('')
m = np.ones((40, 40), np.uint8)
parts = np.zeros((1, 1), dtype=[('part_name', 'O'), ('mask', 'O')]); parts[0, 0]['part_name'] = 'lhorn'; parts[0, 0]['mask'] = m
objs = np.zeros((1, 1), dtype=[('class', 'O'), ('class_ind', 'O'), ('mask', 'O'), ('parts', 'O')])
objs[0, 0]['class'] = 'horse'; objs[0, 0]['class_ind'] = 13; objs[0, 0]['mask'] = m; objs[0, 0]['parts'] = parts
savemat(f'{V}/part_segmentation/Annotations_Part/a.mat', {'anno': {'imname': 'a', 'objects': objs}})

"""A natural-image target from photographs that ship inside installed
packages (scikit-image, scikit-learn, matplotlib: no download at run time).

The task: tell which of ten photographs a crop comes from, from crops of
random position, scale and flip, 20 labelled crops per photograph. What
decides it is what natural images are made of (colour, texture, material,
parts of objects), not digits or drawn shapes, so it shows whether a
source's features transfer to photographs.

Splits are disjoint by image region: every photograph is cut into a 4x4
grid of cells, and the training, search and held-out crops each come from
their own cells (no pixel of a held-out crop was seen in training or
search). The layout is mmpretrain's ``CustomDataset`` image folder
(``{train,val,test}/<class>/*.png``), so ``tools/new_target.py cls`` reads
it as a user's own data.
"""
import importlib.util
import os
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
from PIL import Image

# (class name, package, file inside the package): colour photographs.
PHOTOS = (
    ('astronaut', 'skimage', 'data/astronaut.png'),
    ('cat', 'skimage', 'data/chelsea.png'),
    ('coffee', 'skimage', 'data/coffee.png'),
    ('rocket', 'skimage', 'data/rocket.jpg'),
    ('motorcycle', 'skimage', 'data/motorcycle_left.png'),
    ('retina', 'skimage', 'data/retina.jpg'),
    ('tissue', 'skimage', 'data/ihc.png'),
    ('temple', 'sklearn', 'datasets/images/china.jpg'),
    ('flower', 'sklearn', 'datasets/images/flower.jpg'),
    ('portrait', 'matplotlib', 'mpl-data/sample_data/grace_hopper.jpg'),
)
GRID = 4
# cell (r, c) -> split: (r + c) % 4 == 0 held out, == 2 search, else train
SPLIT_OF = {0: 'test', 2: 'val'}
PER_SPLIT = dict(train=20, val=20, test=40)


def photo_path(package: str, rel: str) -> str:
    """Where an installed package keeps one of its bundled photographs."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f'photo target: package {package!r} is not '
                           f'installed (expected from requirements/'
                           f'runtime.txt); run `make install`')
    path = osp.join(list(spec.submodule_search_locations)[0], rel)
    if not osp.isfile(path):
        raise RuntimeError(f'photo target: {path}: file not found in '
                           f'{package!r}; expected its bundled photograph')
    return path


def _cells(h: int, w: int) -> Dict[str, List[Tuple[int, int, int, int]]]:
    """(x0, y0, x1, y1) of every grid cell, by split."""
    out: Dict[str, List[Tuple[int, int, int, int]]] = {
        'train': [], 'val': [], 'test': []}
    for r in range(GRID):
        for c in range(GRID):
            split = SPLIT_OF.get((r + c) % GRID, 'train')
            out[split].append((c * w // GRID, r * h // GRID,
                               (c + 1) * w // GRID, (r + 1) * h // GRID))
    return out


def _crop(photo: Image.Image, cell: Tuple[int, int, int, int], size: int,
          rng: np.random.Generator) -> Image.Image:
    """A random square crop inside ``cell`` (60-100% of its short side),
    maybe mirrored, resized to ``size``."""
    x0, y0, x1, y1 = cell
    side = int(min(x1 - x0, y1 - y0) * rng.uniform(0.6, 1.0))
    x = int(rng.integers(x0, x1 - side + 1))
    y = int(rng.integers(y0, y1 - side + 1))
    img = photo.crop((x, y, x + side, y + side)).resize((size, size),
                                                        Image.BILINEAR)
    return img.transpose(Image.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else img


def make_photo_target(out: str, rng: np.random.Generator,
                      size: int = 48) -> None:
    """``{train,val,test}/<class>/*.png`` under ``out``: ``val`` is the
    search split, ``test`` the held-out split (400 crops: one crop is 0.25
    points of top-1)."""
    for name, package, rel in PHOTOS:
        # through numpy: drops the file's colour profile, which the crops
        # would otherwise carry (libpng warns on one of them)
        photo = Image.fromarray(np.asarray(
            Image.open(photo_path(package, rel)).convert('RGB')))
        for split, cells in _cells(photo.height, photo.width).items():
            folder = osp.join(out, split, name)
            os.makedirs(folder)
            for k in range(PER_SPLIT[split]):
                cell = cells[int(rng.integers(0, len(cells)))]
                _crop(photo, cell, size, rng).save(
                    osp.join(folder, f'{k:04d}.png'))

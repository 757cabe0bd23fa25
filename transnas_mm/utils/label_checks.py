"""Check classification labels against the model's ``num_classes`` and the
class list before training: a label out of range otherwise trains (or
fails deep inside the loss with a bare ``IndexError``)."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif',
              '.tiff', '.webp')
# mmpretrain datasets whose ann_file holds "<image path> <label>" lines.
LIST_TYPES = ('CustomDataset', 'ImageNet', 'ImageNet21k')


def ann_labels(path: str, field: str) -> List[Tuple[int, int]]:
    """(line number, label) of a ``<image path> <label>`` file; a line of
    another shape is an error naming ``field``, the file and the line."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                raise ValueError(f'{field}: {path}: line {n}: '
                                 f'expected "<image path> <integer label>",'
                                 f' got {line.strip()!r}')
            out.append((n, int(parts[1])))
    return out


def class_folders(folder: str, field: str) -> List[str]:
    """The class sub-folders of an image folder; one without an image is
    an error naming it (mmpretrain only warns, then trains without it)."""
    names = sorted(d for d in os.listdir(folder)
                   if osp.isdir(osp.join(folder, d)))
    for name in names:
        if not any(f.lower().endswith(IMAGE_EXTS) for _, _, files in
                   os.walk(osp.join(folder, name)) for f in files):
            raise ValueError(f'{field}.data_prefix: {osp.join(folder, name)}'
                             f': class folder without an image; expected '
                             f'at least one {"/".join(IMAGE_EXTS[:3])} file '
                             f'(or remove the folder)')
    return names


def check_label_range(field: str, where: str, labels: Sequence[Tuple[int,
                                                                      int]],
                      limit: int, limit_name: str) -> None:
    """Every label in ``[0, limit)``; else name the first bad line and the
    count."""
    bad = [(n, lab) for n, lab in labels if not 0 <= lab < limit]
    if bad:
        n, lab = bad[0]
        raise ValueError(f'{field}: {where}: line {n}: label {lab} outside '
                         f'0..{limit - 1} ({limit_name}); {len(bad)} of '
                         f'{len(labels)} labels are')


def check_class_count(field: str, classes: Optional[Sequence],
                      num_classes: Optional[Tuple[str, int]]) -> None:
    """The class list and the model's ``num_classes`` agree."""
    if classes is None or num_classes is None:
        return
    key, n = num_classes
    if len(classes) != n:
        raise ValueError(f'{field}.metainfo.classes: {len(classes)} classes '
                         f'but {key}={n}; expected the same number')


def limits(classes: Optional[Sequence], num_classes: Optional[Tuple[str,
                                                                    int]]
           ) -> Optional[Tuple[int, str]]:
    """The label bound to check against and its name (the smaller of the
    class list and the model's ``num_classes``)."""
    found = []
    if num_classes is not None:
        found.append((num_classes[1], f'{num_classes[0]}={num_classes[1]}'))
    if classes is not None:
        found.append((len(classes), f'{len(classes)} classes in metainfo'))
    return min(found) if found else None

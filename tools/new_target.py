"""Write a ready, self-contained search config for your own dataset.

Classification (mmpretrain ``CustomDataset``: an image folder with one
sub-folder per class, or ann files of ``path label`` lines)::

    python tools/new_target.py cls --train DATA/train --val DATA/val \
        --image-size 64 --source SOURCE.pth --out my_search.py

Detection (COCO json)::

    python tools/new_target.py det --train ann/train.json --train-img imgs/ \
        --val ann/val.json --val-img imgs/ --image-size 320 \
        --source SOURCE.pth --out my_search.py

Starts from a search template (default: the demo templates, whose space
matches the demo source; ``--template configs/transnas/cub_search.py`` or
``coco_search.py`` for the ImageNet source) and fills in classes,
``num_classes``, image size, the hooks' ``input_shape`` and the source
checkpoint. The search split is ``--val``; the held-out split is
``--test``, or, without one, carved from ``--val`` by a seeded permutation
(``--search-fraction`` of it searches, the rest is held out), recorded in
the config as ``target_split``. Then::

    python tools/train.py my_search.py                  # adapt + NAS + NWS
    python tools/run_demo.py --target-config my_search.py --metric KEY \
        --source SOURCE.pth --out work_dirs/my_report   # six-row report
"""
import sys

from transnas_mm.apis.target_config import (InputError, build, parse_args,
                                            write)


def main() -> None:
    args = parse_args(doc=__doc__)
    try:
        cfg = build(args)
    except InputError as e:
        sys.exit(f'new_target: {e}')
    print(write(cfg, args.out, ['python', 'tools/new_target.py'] +
                sys.argv[1:]))
    print(f'split: {cfg.target_split}')
    split = cfg.target_split
    if args.test is None:
        print(f'new_target: warning: no --test: the held-out split is carved '
              f'from --val ({split["heldout"]} of '
              f'{split["search"] + split["heldout"]} images, seed '
              f'{split["seed"]}): the search never sees them, but its held-'
              f'out numbers measure the pool the search was chosen on; pass '
              f'--test for an independent test set', file=sys.stderr)


if __name__ == '__main__':
    main()

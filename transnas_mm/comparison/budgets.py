"""``--quick``: the same comparison with tiny budgets (the CI integration
test). Options per step, adjusted per kind of target."""
from typing import List

from ..apis.target_kinds import TARGET_KINDS

QUICK = dict(
    source=['train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
            'train_dataloader.dataset.indices=128',
            'model.backbone.warmup_iters=4',
            'default_hooks.checkpoint.interval=1'],
    search=['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=32',
            'val_dataloader.dataset.indices=16',
            'test_dataloader.dataset.indices=16',
            'model.test_cfg.score_thr=0.0',
            'custom_hooks.ArchSearchHook.search.population=3',
            'custom_hooks.ArchSearchHook.search.generations=2',
            'custom_hooks.ArchSearchHook.search.num_mutation=2',
            'custom_hooks.ArchSearchHook.search.num_crossover=1',
            'custom_hooks.ArchSearchHook.proxy.iters=2',
            'custom_hooks.WeightSearchHook.proxy.iters=2',
            'custom_hooks.WeightSearchHook.mode=evolution',
            'custom_hooks.WeightSearchHook.search.population=2',
            'custom_hooks.WeightSearchHook.search.generations=2',
            # 32 samples hold 2 batches of 16 (more is refused)
            'custom_hooks.ArchSearchHook.calibrate_batches=2',
            'custom_hooks.WeightSearchHook.calibrate_batches=2',
            # one epoch trains no detector to the floor (0.01 mAP)
            'custom_hooks.ArchSearchHook.floor=None',
            'custom_hooks.WeightSearchHook.floor=None',
            'default_hooks.checkpoint.interval=1'],
    finetune=['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=32',
              'val_dataloader.dataset.indices=16',
              'test_dataloader.dataset.indices=16',
              'model.test_cfg.score_thr=0.0'],
)


def quick(step: str, key: str, enabled: bool) -> List[str]:
    """The ``--cfg-options`` of ``step`` for a target kind (``key``: its
    name) or a source config (its name)."""
    if not enabled:
        return []
    opts = QUICK[step]
    if key in ('static_source', 'supernet_from_static'):  # their warm-ups
        opts = [o for o in opts if 'warmup_iters' not in o]  # are fixed
    kind = TARGET_KINDS.get(key)
    if kind is not None:  # e.g. an ImageClassifier has no test_cfg
        opts = [o for o in opts if not any(skip in o
                                           for skip in kind.quick_skip)]
    return opts

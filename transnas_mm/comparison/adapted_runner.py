"""A target config holding an adapted whole-model checkpoint, no training,
no hooks: the model and loaders that the rank study, the fitness signals
and the search benchmarks drive the jobs on."""
import tempfile
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from ..utils import find_hook


def build_adapted_runner(config: str, checkpoint: str = '',
                         work_dir: Optional[str] = None) -> Runner:
    """``config`` with ``checkpoint`` loaded (``load_from``; without one,
    weights come from init) after 0 training epochs; its search hooks
    removed (the benchmark drives the search itself)."""
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    cfg.load_from, cfg.resume = checkpoint or None, False
    cfg.train_cfg.max_epochs = 0
    cfg.param_scheduler = None
    cfg.custom_hooks = []
    cfg.work_dir = work_dir or tempfile.mkdtemp()
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()  # 0 epochs: loads the checkpoint, nothing else
    return runner


def hook_settings(config: str, hook: str = 'ArchSearchHook') -> dict:
    """The keyword arguments of ``hook`` in ``config``'s custom_hooks."""
    found = find_hook(Config.fromfile(config), hook)
    if found is None:
        raise KeyError(f'{config}: custom_hooks: no {hook}')
    return {k: v for k, v in found.items() if k != 'type'}

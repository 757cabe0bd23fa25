"""The demo's source step: the demo data, the source super-network and
the static network (the hand chain alone, same data and budget), each
trained once and reused by every target."""
import os
import os.path as osp
import shutil
from typing import Sequence

from ..utils.atomic_io import read_json
from .budgets import quick
from .source_names import SOURCE_STEPS, SUPERNET
from .steps import Steps, last_checkpoint, say
from .target_spec import Sources


# an arch trained alone on the demo source, the static network's recipe
RETRAIN_CONFIG = 'configs/transnas/demo/retrain_source.py'


def train_source(steps: Steps, out: str, done: str, config: str,
                 fast: bool, options: Sequence[str] = ()) -> str:
    """Train ``configs/transnas/demo/<config>.py`` on the demo source once
    (resumed if interrupted); returns its work dir."""
    work = osp.join(out, config)
    opts = list(options) + (quick('source', config, True) if fast else [])
    steps.once(osp.join(out, f'{done}.done'), config.replace('_', ' '),
               steps.script('tools/train.py',
                            f'configs/transnas/demo/{config}.py',
                            '--work-dir', work, '--resume',
                            *(['--cfg-options'] + opts if opts else [])),
               osp.join(out, f'{config}.log'))
    return work


def seeded_source(steps: Steps, out: str, static: str, fast: bool) -> str:
    """The super-network started from the static network, half the
    schedule (``supernet_from_static.py``); returns its work dir."""
    say('2/4 super-network seeded from the static network')
    return train_source(steps, out, 'seeded', SOURCE_STEPS['seeded'], fast,
                        [f'model.backbone.init_cfg.checkpoint={static}',
                         f'model.head.init_cfg.checkpoint={static}'])


def demo_data(steps: Steps, out: str) -> None:
    """The demo data (skipped when built with the same seed and format)."""
    say('1/4 demo data')
    # the demo configs read data/demo/ (relative to the repo root)
    steps.run('data', steps.script('tools/prepare_demo_data.py', '--out',
                                   'data/demo'), osp.join(out, 'data.log'))


def demo_sources(steps: Steps, out: str, fast: bool) -> Sources:
    """Both source networks of the demo (skipped when done)."""
    say('2/4 source super-network, trained once')
    work = train_source(steps, out, 'source', SOURCE_STEPS['source'], fast)
    supernet = osp.join(out, SUPERNET)
    if not osp.isfile(supernet):
        shutil.copyfile(last_checkpoint(work), supernet + '.tmp')
        os.replace(supernet + '.tmp', supernet)
    say('2/4 static hand-chain network, trained alone on the same source')
    static = last_checkpoint(train_source(steps, out, 'static',
                                          SOURCE_STEPS['static'], fast))
    return Sources(supernet, static, RETRAIN_CONFIG,
                   read_json(osp.join(out, 'static.done'))['seconds'])


def pretrained_sources(steps: Steps, out: str, name: str) -> Sources:
    """The packaged pretrained network ``name`` converted into its preset's
    super-network (hand chain exact, other ops seeded by remap), once; it
    is also the static row's network (its hand chain is the pretrained
    network itself)."""
    path = osp.join(out, f'source_{name}.pth')
    steps.once(path + '.done', f'source: {name} converted (no training)',
               steps.script('tools/convert/pretrained.py', name, path,
                            '--to', 'source'), path + '.log')
    return Sources(path, path)

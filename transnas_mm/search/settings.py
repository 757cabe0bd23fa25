"""What a search job is configured with, grouped the way the hooks take it
(``racing=dict(...)``, ``proxy=dict(...)``), checked once, before any
training, with messages that name the hook and the field."""
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from ..space.complexity import INPUT_SHAPE
from .scoring.batch_cache import DEFAULT_CACHE_MB
from .scoring.proxy import SCHEDULES
from .scoring.racing import RaceSettings

# The proxy both hooks score with unless told otherwise (``proxy=None``:
# off): 180 SGD steps at lr 0.02, warmed up then cosine-annealed to 0 (a
# row finetune's shape, compressed): a candidate is scored where a
# finetune ends, not in the middle of a noisy run. In the rank studies
# (docs/method.md) its search-split metric ranked the finetuned RetinaNet
# archs at Kendall tau +0.52 (24 archs, 2 seeds; a 60-step constant-lr
# proxy -0.09, FLOPs -0.23) and CUB's at +0.20 (4 seeds; 60-step +0.23):
# the only signal positive on both kinds of target. Fixed, not tuned per
# target.
DEFAULT_PROXY: Mapping[str, Any] = MappingProxyType(
    dict(iters=180, lr=0.02, schedule='cosine'))

# How the arch search scores a candidate: its inherited weights after BN
# recalibration, or after a proxy finetune.
FITNESS = ('inherited', 'proxy')
# The heads the proxies start from (:mod:`.head_start`); ``None`` (the
# hooks' default) means 'auto' where the fitness proxy-finetunes every
# candidate, else 'adapted' (nothing trains the heads, so fresh ones could
# not be scored).
HEAD_STARTS = ('adapted', 'fresh', 'auto')
DEFAULT_HEAD_START = dict(proxy='auto', inherited='adapted')

# Flat hook arguments of earlier releases -> their grouped spelling.
RENAMED = dict(
    population='search=dict(population=...)',
    generations='search=dict(generations=...)',
    top_k='search=dict(top_k=...)',
    mutation_prob='search=dict(mutation_prob=...)',
    num_mutation='search=dict(num_mutation=...)',
    num_crossover='search=dict(num_crossover=...)',
    edge_keep_prob='search=dict(edge_keep_prob=...)',
    include_reference='search=dict(include_reference=...)',
    passes='search=dict(passes=...)',
    flops_range='constraints=dict(flops=(low, high))',
    params_range='constraints=dict(params=(low, high))',
    latency_range='constraints=dict(latency=(low, high))',
    predictor_keep='predictor=dict(keep=...)',
    proxy_iters='proxy=dict(iters=...)',
    proxy_lr='proxy=dict(lr=...)',
    proxy_fitness="fitness='proxy' (with proxy=dict(iters=...))",
    race_fractions='racing=dict(fractions=...)',
    race_margin='racing=dict(margin=...)',
    race_top='racing=dict(top=...)',
)


def refuse_unknown(owner: str, kwargs: Mapping[str, Any]) -> None:
    """A flat argument of an earlier release names its new spelling; any
    other unknown argument is named too."""
    for key in kwargs:
        if key in RENAMED:
            raise ValueError(f'{owner}: {key}: this argument moved; write '
                             f'{RENAMED[key]}')
        raise TypeError(f'{owner}: unexpected argument {key!r}')


def group(owner: str, name: str, value: Any, allowed: Sequence[str]
          ) -> Optional[Dict[str, Any]]:
    """A grouped argument: None (off) or a dict of ``allowed`` keys."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f'{owner}: {name}: expected a dict of '
                         f'{"/".join(allowed)} or None, got {value!r}')
    bad = sorted(set(value) - set(allowed))
    if bad:
        raise ValueError(f'{owner}: {name}.{bad[0]}: unknown key; expected '
                         f'one of {list(allowed)}')
    return dict(value)


def _steps(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) \
        and int(value) == value and value >= 1


@dataclass
class Proxy:
    """A short SGD finetune of a candidate before it is scored.
    ``rungs``: fewer-step rungs below ``iters`` (a multi-fidelity ladder:
    every candidate of a generation gets the first, the best ``keep`` of
    each rung the next, up to ``iters``); ``schedule``: ``'constant'`` lr
    or ``'cosine'`` (annealed to 0 over each rung's steps); ``share``
    (arch search only; 0: off): about that many candidates of a generation
    get their ``iters`` steps each in one run on shared weights
    (:mod:`.shared_proxy`). A key left out takes ``DEFAULT_PROXY``'s
    value, so ``dict(iters=90)`` is the default proxy, shorter."""
    iters: int
    lr: float = DEFAULT_PROXY['lr']
    rungs: Tuple[int, ...] = ()
    keep: float = 1 / 3
    schedule: str = DEFAULT_PROXY['schedule']
    share: int = 0

    @classmethod
    def parse(cls, owner: str, value: Any) -> Optional['Proxy']:
        d = group(owner, 'proxy', value,
                  ('iters', 'lr', 'rungs', 'keep', 'score', 'schedule',
                   'share'))
        if not d:
            return None
        if d.pop('score', 'metric') != 'metric':
            raise ValueError(
                f"{owner}: proxy.score: the loss fitness is gone (minus the "
                f"proxy's training loss ranked the finetuned RetinaNet archs "
                f'at Kendall tau -0.57 and lost to FLOPs on CUB, '
                f"docs/results/search_fitness.md); expected 'metric' (or "
                f'no score key)')
        proxy = cls(**d)
        if not _steps(proxy.iters):
            raise ValueError(f'{owner}: proxy.iters: expected an integer '
                             f'>= 1, got {proxy.iters!r}')
        if not proxy.lr > 0:
            raise ValueError(f'{owner}: proxy.lr: expected > 0, got '
                             f'{proxy.lr!r}')
        rungs = tuple(proxy.rungs)
        if not all(_steps(r) for r in rungs) or \
                list(rungs) != sorted(set(rungs)) or \
                (rungs and rungs[-1] >= proxy.iters):
            raise ValueError(f'{owner}: proxy.rungs: expected increasing '
                             f'step counts below iters={proxy.iters}, got '
                             f'{proxy.rungs!r}')
        if proxy.schedule not in SCHEDULES:
            raise ValueError(f'{owner}: proxy.schedule: expected one of '
                             f'{list(SCHEDULES)}, got {proxy.schedule!r}')
        if isinstance(proxy.share, bool) or not isinstance(
                proxy.share, int) or proxy.share == 1 or proxy.share < 0:
            raise ValueError(f'{owner}: proxy.share: expected 0 (off) or '
                             f'the candidates per shared run (>= 2), got '
                             f'{proxy.share!r}')
        if proxy.share and rungs:
            raise ValueError(f'{owner}: proxy.share: a shared proxy scores '
                             f'every candidate after one run, so it takes '
                             f'no rungs; expected one of them')
        if not 0.0 < proxy.keep <= 1.0:
            raise ValueError(f'{owner}: proxy.keep: expected a fraction in '
                             f'(0, 1], got {proxy.keep!r}')
        proxy.iters, proxy.rungs = int(proxy.iters), tuple(int(r)
                                                           for r in rungs)
        return proxy

    @property
    def ladder(self) -> Tuple[int, ...]:
        """Every rung's steps, the last = ``iters``."""
        return self.rungs + (self.iters, )

    def state(self) -> dict:
        """Recorded with a saved search state (a resume must match)."""
        ladder = dict(proxy_rungs=list(self.rungs), proxy_keep=self.keep) \
            if self.rungs else {}
        anneal = dict(proxy_schedule=self.schedule) \
            if self.schedule != 'constant' else {}
        return dict(proxy_iters=self.iters, proxy_lr=self.lr, **ladder,
                    **anneal, proxy_share=self.share)


@dataclass
class Scoring:
    """How both searches score a candidate: the objective, calibration,
    noise draws, racing, the seed, the batch cache and the floor (the
    metric value the best candidate must reach: below it the adapted model
    did not learn the target, and a search on it would export a dead
    network)."""
    metric_key: str
    rule: str = 'greater'
    input_shape: Tuple[int, int, int] = INPUT_SHAPE
    calibrate_batches: int = 8
    noise_repeats: int = 2
    seed: int = 0
    cache_mb: float = DEFAULT_CACHE_MB
    race: RaceSettings = field(default_factory=RaceSettings)
    floor: Optional[float] = None

    def below_floor(self, value: Optional[float]) -> bool:
        """``value`` (the metric) does not reach the floor ('less': does
        not get under it); a missing or NaN value never does."""
        if self.floor is None:
            return False
        if value is None or value != value:
            return True
        return value < self.floor if self.rule == 'greater' \
            else value > self.floor

    @classmethod
    def parse(cls, owner: str, metric_key: str, rule: str,
              input_shape: Sequence[int], calibrate_batches: int,
              noise_repeats: int, racing: Any, seed: int,
              cache_mb: float, floor: Optional[float] = None
              ) -> 'Scoring':
        if rule not in ('greater', 'less'):
            raise ValueError(f"{owner}: rule: expected 'greater' or 'less', "
                             f'got {rule!r}')
        if len(tuple(input_shape)) != 3 or tuple(input_shape)[0] != 3:
            raise ValueError(f'{owner}: input_shape: expected (3, H, W), got '
                             f'{tuple(input_shape)}')
        for arg, value in (('calibrate_batches', calibrate_batches),
                           ('noise_repeats', noise_repeats),
                           ('cache_mb', cache_mb)):
            if value < 0:
                raise ValueError(f'{owner}: {arg}: expected >= 0, got '
                                 f'{value}')
        if floor is not None and (isinstance(floor, bool) or not isinstance(
                floor, (int, float)) or floor != floor):
            raise ValueError(f'{owner}: floor: expected a number (the '
                             f'{metric_key} value the best candidate must '
                             f'reach) or None, got {floor!r}')
        race = group(owner, 'racing', racing, ('fractions', 'margin', 'top'))
        return cls(metric_key, rule, tuple(input_shape), calibrate_batches,
                   noise_repeats, seed, cache_mb, RaceSettings.checked(
                       owner, race is not None, **(race or {})),
                   None if floor is None else float(floor))


def check_arch_scoring(owner: str, scoring: Scoring, proxy: Optional[Proxy],
                       fitness: str, rerank_top: int,
                       head_start: Optional[str]) -> str:
    """Every combination of the arch search's scoring settings, checked
    once; returns ``head_start`` with its default resolved."""
    if fitness not in FITNESS:
        raise ValueError(f'{owner}: fitness: expected one of {FITNESS}, '
                         f'got {fitness!r}')
    if head_start is None:
        head_start = DEFAULT_HEAD_START[fitness]
    if head_start not in HEAD_STARTS:
        raise ValueError(f'{owner}: head_start: expected one of '
                         f'{HEAD_STARTS}, got {head_start!r}')
    if head_start != 'adapted' and fitness != 'proxy':
        raise ValueError(f'{owner}: head_start={head_start!r}: only a proxy '
                         f'finetune trains fresh heads; expected '
                         f"fitness='proxy' with it")
    if fitness == 'proxy' and proxy is None:
        raise ValueError(f"{owner}: fitness='proxy' needs "
                         f'proxy=dict(iters=N) with N >= 1')
    if fitness == 'proxy' and proxy.rungs and scoring.race.on:
        raise ValueError(f'{owner}: proxy: a ladder and racing do not '
                         f'combine; expected one of them')
    if proxy is not None and proxy.share and rerank_top > 1:
        raise ValueError(f'{owner}: proxy.share: a rerank scores candidates '
                         f'after proxies of their own, not comparable with '
                         f'shared ones; expected rerank_top=0')
    if rerank_top < 0:
        raise ValueError(f'{owner}: rerank_top: expected >= 0, got '
                         f'{rerank_top}')
    return head_start

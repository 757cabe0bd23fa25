"""What a target run will cost before it is launched: each step's work
counted from the config (the hooks' own parsed settings, so every default
is the one a run would use) and timed per unit on the machine at hand.

Units: a training step of the adaptation (a sampled path), a proxy step
(a candidate the arch search could draw, SGD), a finetune step (the
reference arch: the finetune row's network), a training batch through the data pipeline
(the adaptation and the finetune load theirs; the searches draw theirs
once), a calibration batch (forward, train mode, no gradient), an
evaluated image. A step's projected seconds are its counts
times those unit times; the ratio to one finetune (the row a user would
run instead) is what the report's cost column states.

With ``gpus`` N: the adaptation's and the finetune's epochs hold 1/N of
the iterations (MMEngine's DDP: the config's batch size per GPU) and the
search split is sharded over N for evaluation; proxy steps and
calibration batches are not divided (every rank trains and calibrates on
the same batches, so that every rank scores the same candidate alike).
Racing can only stop a candidate's evaluation early: its images are an
upper bound."""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

from ..registry import HOOKS
from ..search.weights.sources import all_sources
from ..space import reference_arch
from ..utils.config_options import find_hook
from ..utils.split_overlap import dataset_images

UNITS = ('train_step', 'proxy_step', 'finetune_step', 'data_batch',
         'calib_batch', 'eval_image')
UNIT_TITLES = dict(train_step='adaptation steps', proxy_step='proxy steps',
                   finetune_step='finetune steps',
                   data_batch='loaded training batches',
                   calib_batch='calibration batches',
                   eval_image='evaluated images')


@dataclass
class StepCount:
    """One step of a target run: how many of each unit it does."""
    name: str
    units: Dict[str, float] = field(default_factory=dict)
    candidates: int = 0  # scored candidates (searches)
    proxy_runs: int = 0  # proxy finetunes (candidates, head start, noise)
    fixed: float = 0.0  # measured seconds paid once (start-up, cost table)

    def seconds(self, unit_seconds: Dict[str, float]) -> float:
        return self.fixed + sum(n * unit_seconds[u]
                                for u, n in self.units.items())


def dataset_sizes(cfg: Config) -> Dict[str, Optional[int]]:
    """The train/val/test datasets' sizes (``indices`` and filters
    applied); None where a split cannot be read here."""
    out = {}
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        images = None if loader is None else dataset_images(
            loader['dataset'], cfg.get('default_scope'))
        out[split] = None if images is None else len(images)
    return out


def epoch_iters(size: int, batch: int, gpus: int) -> int:
    """Iterations of one epoch: every rank takes ``batch`` samples."""
    return math.ceil(size / (batch * gpus))


def schedule_iters(train_cfg: dict, size: int, batch: int,
                   gpus: int) -> int:
    """Training iterations a ``train_cfg`` asks for (epoch- or
    iteration-based)."""
    if 'max_iters' in train_cfg and train_cfg.get('max_iters') is not None:
        return int(train_cfg['max_iters'])
    return int(train_cfg.get('max_epochs', 0)) * epoch_iters(size, batch,
                                                             gpus)


def _rungs(proxy, n: int) -> List[int]:
    """Candidates at each rung of a generation of ``n`` (a ladder keeps
    the best ``keep`` of each rung for the next); one rung without."""
    alive = [n]
    for _ in (proxy.ladder[1:] if proxy is not None else ()):
        alive.append(max(1, math.ceil(proxy.keep * alive[-1])))
    return alive


def spread_over(scoring, proxy, gpus: int) -> int:
    """Ranks a generation's candidates are spread over (1: every rank
    scores each together: racing, a shared proxy, one GPU)."""
    together = scoring.race.on or (proxy is not None and proxy.share)
    return 1 if together else gpus


def _generations(sizes: Sequence[int], proxy, proxied: bool, ranks: int,
                 gpus: int, val_size: int) -> Dict[str, float]:
    # ``proxied``: the ladder's rungs count (else one rung, 0 steps: the
    # caller adds a proxy's steps per evaluation)
    """Units of the generations' candidates on one rank: with ``ranks`` >
    1 each scores its share of every rung, on the whole split; else every
    rank each candidate, the split sharded over ``gpus``."""
    steps = evals = 0
    for n in sizes:
        for rung, alive in zip(proxy.ladder if proxied else (0, ),
                               _rungs(proxy if proxied else None, n)):
            share = math.ceil(alive / ranks)
            steps += share * rung
            evals += share
    images = val_size if ranks > 1 else val_size / gpus
    return dict(proxy_step=steps, evals=evals, eval_image=evals * images)


def arch_search_count(job, val_size: int, gpus: int = 1) -> StepCount:
    """``ArchSearchJob`` (built from the hook config): its candidates per
    generation (the whole population first, then the predictor's share of
    each new one) and the chosen arch's noise draws, spread over the ranks
    where the search spreads them; the head-start proxies and the rerank
    (every rank)."""
    cfg, scoring, proxy = job.search_cfg, job.scoring, job.proxy
    if proxy is not None and proxy.share:
        raise ValueError(f'{job.owner}: proxy.share: a shared proxy is not '
                         f'projected; expected share=0')
    later = math.ceil(cfg.predictor_keep * cfg.population) \
        if cfg.predictor else cfg.population
    sizes = [cfg.population] + [later] * (cfg.generations - 1)
    proxied = proxy is not None and job.fitness == 'proxy'
    extra = 0  # scored by every rank together
    if proxied and job.head_start == 'auto':
        extra += 2
        if cfg.include_reference and not proxy.rungs and \
                not scoring.race.on:
            extra -= 1  # the reference's score is the head choice's
    if proxy is not None and job.rerank_top > 1:
        extra += job.rerank_top
    ranks = spread_over(scoring, proxy, gpus)
    gens = _generations(sizes, proxy, proxied, ranks, gpus, val_size)
    noise = _generations([scoring.noise_repeats], proxy, False, ranks,
                         gpus, val_size)  # the chosen arch's other draws
    iters = proxy.iters if proxy is not None else 0
    extra_steps = extra * iters if proxied else job.rerank_top * iters \
        if proxy is not None and job.rerank_top > 1 else 0
    return StepCount('arch search', dict(
        proxy_step=gens['proxy_step'] + extra_steps +
        (noise['evals'] * iters if proxied else 0),
        calib_batch=(gens['evals'] + noise['evals'] + extra) *
        scoring.calibrate_batches,
        eval_image=gens['eval_image'] + noise['eval_image'] +
        extra * val_size / gpus), sum(sizes),
        sum(sizes) + extra + scoring.noise_repeats
        if proxy is not None else 0)


def weight_search_count(job, space, val_size: int, test_size: int,
                        gpus: int = 1) -> StepCount:
    """``WeightSearchJob``: plain inheritance and its noise draws (every
    rank), then the evolution's generations (or, greedy, every other
    source of every layer once per pass, counted on the hand arch), spread
    over the ranks where the search spreads them; the held-out scores."""
    cfg, scoring, proxy = job.search_cfg, job.scoring, job.proxy
    if cfg.mode == 'evolution':
        sizes = [cfg.population] * cfg.generations
    else:
        options = all_sources(space, reference_arch(space), cfg.source)
        sizes = [1] + [len(o) - 1 for o in options if len(o) > 1] * \
            cfg.passes
    # plain inheritance's noise draws: a generation of their own
    gens = _generations(sizes + [scoring.noise_repeats], proxy, False,
                        spread_over(scoring, proxy, gpus), gpus, val_size)
    iters = proxy.iters if proxy is not None else 0
    heldout = 2 if job.heldout else 0  # plain and NWS, every rank
    return StepCount('weight search', dict(
        proxy_step=(gens['evals'] + heldout) * iters,
        calib_batch=(gens['evals'] + heldout) * scoring.calibrate_batches,
        eval_image=gens['eval_image'] + heldout * test_size / gpus),
        sum(sizes), sum(sizes) + scoring.noise_repeats + heldout
        if proxy is not None else 0)


def step_counts(cfg: Config, sizes: Dict[str, int], space,
                gpus: int = 1) -> List[StepCount]:
    """Every step of a target run of ``cfg`` (a search config): the
    adaptation, the searches its hooks ask for, and one row finetune (the
    weight search hook's ``finetune`` overrides, or the config's
    schedule). ``sizes``: train/val/test dataset sizes."""
    batch = int(cfg.train_dataloader.batch_size)
    train_cfg = dict(cfg.train_cfg)
    adapt = schedule_iters(train_cfg, sizes['train'], batch, gpus)
    # the validation the adaptation runs (SubnetValLoop: each arch it
    # lists, after recalibrating BN)
    period = train_cfg.get('max_epochs') or train_cfg.get('max_iters') or 0
    vals = int(period) // int(train_cfg.get('val_interval', 1))
    val_cfg = dict(cfg.get('val_cfg') or {})
    archs = len(val_cfg.get('archs', ('reference', ))) \
        if str(val_cfg.get('type', '')).endswith('SubnetValLoop') else 1
    out = [StepCount('adaptation', dict(
        train_step=adapt, data_batch=adapt,
        calib_batch=vals * archs * val_cfg.get('calibrate_batches', 0),
        eval_image=vals * archs * sizes['val'] / gpus))]
    arch_hook = find_hook(cfg, 'ArchSearchHook')
    weight_hook = find_hook(cfg, 'WeightSearchHook')
    if arch_hook is not None:
        out.append(arch_search_count(HOOKS.build(dict(arch_hook)).job,
                                     sizes['val'], gpus))
    finetune_cfg = train_cfg
    if weight_hook is not None:
        job = HOOKS.build(dict(weight_hook)).job
        out.append(weight_search_count(job, space, sizes['val'],
                                       sizes['test'], gpus))
        finetune_cfg = {**train_cfg, **job.finetune.get('train_cfg', {})}
    finetune = schedule_iters(finetune_cfg, sizes['train'], batch, gpus)
    out.append(StepCount('one finetune', dict(
        finetune_step=finetune, data_batch=finetune,
        eval_image=sizes['val'] / gpus)))
    return out


def project(counts: Sequence[StepCount], unit_seconds: Dict[str, float]
            ) -> List[dict]:
    """Per step: its units, projected seconds, and the ratio to one
    finetune (the last step)."""
    finetune = counts[-1].seconds(unit_seconds)
    return [dict(step=c.name, candidates=c.candidates,
                 proxy_runs=c.proxy_runs, units=dict(c.units),
                 seconds=c.seconds(unit_seconds),
                 per_finetune=c.seconds(unit_seconds) / finetune
                 if finetune > 0 else math.nan) for c in counts]


def format_projection(rows: Sequence[dict], unit_seconds: Dict[str, float],
                      gpus: int, device: str) -> str:
    """The projection as a Markdown table plus the unit times."""
    total = sum(r['seconds'] for r in rows[:-1])
    lines = [f'Projected on {device}, {gpus} GPU(s)' if gpus > 1 or
             device != 'cpu' else f'Projected on this machine ({device}, '
             f'{torch.get_num_threads()} threads)', '',
             '| step | work | projected | hours | / one finetune |',
             '|---|---|---|---|---|']
    for r in rows:
        work = ', '.join(f'{n:,.0f} {UNIT_TITLES[u]}'
                         for u, n in r['units'].items() if n)
        if r['candidates']:
            work = f"{r['candidates']} candidates, {r['proxy_runs']} " \
                f'proxy runs: ' + work
        lines.append(f"| {r['step']} | {work} | {r['seconds']:,.0f} s | "
                     f"{r['seconds'] / 3600:.2f} | "
                     f"{r['per_finetune']:.1f}x |")
    finetune = rows[-1]['seconds']
    lines += ['', f'adaptation + searches: {total:,.0f} s '
              f'({total / 3600:.2f} h, {total / finetune:.1f}x one '
              f'finetune)' if finetune else '', '',
              'seconds per unit: ' + ', '.join(
                  f'{u} {unit_seconds[u]:.4f}' for u in UNITS)]
    return '\n'.join(lines)

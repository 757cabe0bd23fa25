"""The search jobs without a runner's events, the schema of what a search
writes, and the comparison library (rank study, target spec, the target
config builder) in-process."""
import json
import math
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

from conftest import demo_cfg, one_line
from transnas_mm.search import Candidate
from transnas_mm.search.arch.job import ArchSearchJob
from transnas_mm.search.job import SearchContext
from transnas_mm.search.settings import Scoring
from transnas_mm.search.outputs.summaries import ArchSummary, WeightSources
from transnas_mm.search.weights.job import WeightSearchJob
from transnas_mm.space import load_arch, reference_arch

# both searches score after a 2-step proxy finetune
PROXY = dict(iters=2, lr=0.05)
HOOKS = [dict(type='transnas_mm.ArchSearchHook', metric_key='accuracy/top1',
              search=dict(population=3, generations=2, top_k=2,
                          num_mutation=2, num_crossover=1),
              input_shape=(3, 48, 48), calibrate_batches=1,
              noise_repeats=1, fitness='proxy', proxy=PROXY),
         dict(type='transnas_mm.WeightSearchHook',
              metric_key='accuracy/top1', mode='evolution',
              search=dict(population=2, generations=1, top_k=1),
              input_shape=(3, 48, 48), calibrate_batches=1, heldout=False,
              noise_repeats=1, proxy=PROXY)]
TINY = {'train_dataloader.dataset.indices': 32,
        'train_dataloader.batch_size': 16,
        'val_dataloader.dataset.indices': 32,
        'train_cfg.max_epochs': 0, 'param_scheduler': []}


def test_jobs_on_a_model_give_what_the_hooks_write(demo_root, source_ckpt,
                                                   tmp_path):
    """The jobs run on a model and loaders (no runner events, no config):
    the same arch.json, weight_sources.json and subnet.pth as the hooks,
    and the schema reads what both wrote."""
    hooked = str(tmp_path / 'hooks')
    Runner.from_cfg(demo_cfg('transnas/demo/cub_search.py', demo_root,
                             hooked, source_ckpt,
                             {**TINY, 'custom_hooks': HOOKS})).train()
    runner = Runner.from_cfg(demo_cfg(
        'transnas/demo/cub_search.py', demo_root, str(tmp_path / 'build'),
        source_ckpt, {**TINY, 'custom_hooks': []}))
    runner.train()  # 0 epochs: loads the source, nothing else
    ctx = SearchContext(runner.model, runner.train_dataloader,
                        runner.val_loop.dataloader,
                        runner.val_loop.evaluator, str(tmp_path / 'jobs'))
    scoring = Scoring('accuracy/top1', input_shape=(3, 48, 48),
                      calibrate_batches=1, noise_repeats=1)
    arch_job = ArchSearchJob.build('job', scoring, search=HOOKS[0]['search'],
                                   proxy=PROXY, fitness='proxy')
    best = arch_job.run(ctx)['best']
    arch_file = osp.join(ctx.work_dir, 'search', 'arch.json')
    arch = load_arch(arch_file, ctx.supernet.space)
    WeightSearchJob.build('job', scoring, mode='evolution',
                          search=HOOKS[1]['search'], heldout=False,
                          proxy=PROXY).run(ctx, arch, arch_file)
    a, b = osp.join(hooked, 'search'), osp.join(ctx.work_dir, 'search')
    assert best['layers'] == arch['layers']
    for name in ('arch.json', 'weight_sources.json'):
        assert open(osp.join(a, name)).read() == \
            open(osp.join(b, name)).read(), name
    sa, sb = (torch.load(osp.join(d, 'subnet.pth'), weights_only=False)
              for d in (a, b))
    assert all(sa['state_dict'][k].equal(sb['state_dict'][k])
               for k in sa['state_dict'])
    assert not osp.exists(osp.join(b, 'finetune.py'))  # no config given
    summary = ArchSummary.from_file(osp.join(a, 'summary.json'))
    assert summary.best_score == ArchSummary.from_file(
        osp.join(b, 'summary.json')).best_score
    assert summary.evaluated == len(open(osp.join(a, 'search_log.jsonl'))
                                    .read().splitlines())
    nws = WeightSources.from_file(osp.join(a, 'weight_sources.json'))
    assert nws.search_split.nws >= nws.search_split.plain
    assert nws.changed_layers == sum(r['changed'] for r in nws.layers)
    # every candidate scored on the whole search split (32 images)
    for name in ('search_log.jsonl', 'nws_log.jsonl'):
        rows = [json.loads(ln) for ln in open(osp.join(a, name))]
        assert rows and all(r['status'] == 'ok' and r['images'] == 32 and
                            r['score'] == r['metrics']['accuracy/top1']
                            for r in rows), name
    assert summary.images_evaluated >= 32 * len(rows)


def test_schema_names_a_missing_key_and_round_trips(tmp_path):
    path = str(tmp_path / 'weight_sources.json')
    doc = dict(metric_key='accuracy/top1',
               search_split=dict(plain=0.5, nws=0.6, best_found=0.6),
               noise=None, margin=0.0, kept_plain=False, heldout=None,
               evaluated=3, raced=0, images_evaluated=30,
               layers=[dict(changed=True), dict(changed=False)])
    ws = WeightSources.from_dict(doc)
    ws.to_json(path)
    assert json.load(open(path)) == doc
    assert WeightSources.from_file(path).search_split.nws == 0.6
    broken = dict(doc, search_split=dict(plain=0.5, nws=0.6))
    with pytest.raises(ValueError) as err:
        WeightSources.from_dict(broken, path)
    one_line(err, path, 'search_split', 'best_found', 'missing')
    with pytest.raises(ValueError) as err:
        ArchSummary.from_dict(dict(metric_key='x'), 'summary.json')
    one_line(err, 'summary.json', 'rule', 'missing')


def test_rank_study_spread_and_taus():
    from transnas_mm.comparison.rank_study import (null_std, seed_agreement,
                                                   spread, study_taus,
                                                   tau_ceiling, taus)
    from transnas_mm.space import build_space, sample_arch
    import numpy as np
    space = build_space(stages=[(3, 24, 2)],
                        candidates=['mb_k3e3', 'mb_k5e6', 'skip'],
                        stem_channels=16)
    rng = np.random.default_rng(0)
    cands = []
    for i in range(30):
        arch = sample_arch(space, rng)
        cands.append(Candidate(arch, flops=i, params=30 - i, generation=0,
                               score=float(i % 13)))
    cands.append(Candidate(reference_arch(space), 0, 0, 0))  # failed: WORST
    picked = spread(cands, 6)
    assert len(picked) == 6 and len({c.key for c in picked}) == 6
    scores = [c.score for c in picked]
    assert scores == sorted(scores) and all(s > -math.inf for s in scores)
    assert scores[0] == min(c.score for c in cands if c.score > -math.inf)
    # held-out follows FLOPs exactly, against params: tau +1 / -1
    points = [dict(fitness=float(i % 3), flops=i, params=-i, heldout=i)
              for i in range(24)]
    t = taus(points, ['fitness', 'flops', 'params'])
    assert t['flops']['tau'] == pytest.approx(1.0)
    assert t['params']['tau'] == pytest.approx(-1.0)
    assert t['flops']['top_quarter_tau'] == pytest.approx(1.0)
    assert (t['flops']['pick'], t['flops']['top3']) == (23, 22)
    assert t['params']['pick'] == 0
    # a search that scored fewer archs is topped up from the space; those
    # have no search score and do not count for the fitness's tau
    few = spread(cands[:4], 8, space, seed=1)
    assert len(few) == 8 and len({c.key for c in few}) == 8
    assert [c.key for c in few[:4]] == [c.key for c in spread(cands[:4], 8)]
    assert all(math.isnan(c.score) for c in few[4:])
    assert [c.key for c in spread(cands[:4], 8, space, seed=1)] == \
        [c.key for c in few]
    mixed = [dict(p, fitness=None if i % 2 else p['fitness'])
             for i, p in enumerate(points)]
    t = taus(mixed, ['fitness', 'flops'])
    assert (t['fitness']['points'], t['flops']['points']) == (12, 24)
    none = taus([dict(p, fitness=None) for p in points], ['fitness'])
    assert none['fitness']['points'] == 0
    assert math.isnan(none['fitness']['tau'])
    # two seeds that rank the archs the same agree at +1; opposite: -1
    same = [dict(heldout_seeds=[i, i + 0.5]) for i in range(10)]
    assert seed_agreement(same) == pytest.approx(1.0)
    assert math.isnan(seed_agreement([dict(heldout_seeds=[1.0])]))
    # four seeds whose halves agree, but seeds 0 and 1 rank oppositely
    flip = [dict(heldout_seeds=[2 * i, -i, 2 * i, -i], flops=i,
                 heldout=i / 2) for i in range(10)]
    out = study_taus(flip, ['flops'])
    assert out['seed_agreement'] == pytest.approx(1.0)
    assert out['seed_agreement_2_seeds'] == pytest.approx(-1.0)
    assert out['taus']['flops']['tau'] == pytest.approx(1.0)
    assert out['taus_2_seeds']['flops']['tau'] == pytest.approx(1.0)
    assert 'taus_2_seeds' not in study_taus(same, [])
    # what a perfect predictor could reach: 1 with seeds that agree, 0
    # with seeds that disagree, and more with more seeds of the same noise
    assert tau_ceiling(same) == pytest.approx(1.0)
    assert tau_ceiling([dict(heldout_seeds=[i, -i]) for i in range(10)]) \
        == 0.0
    noisy = [dict(heldout_seeds=list(i + rng.normal(0, 6, 4)))
             for i in range(24)]
    out = study_taus(noisy, [])
    assert 0 < out['tau_ceiling_2_seeds'] < out['tau_ceiling'] < 1
    assert null_std(24) == pytest.approx(0.1461, abs=1e-3)
    assert null_std(10) == pytest.approx(0.2485, abs=1e-3)


def test_rank_study_folder_follows_its_arch(tmp_path):
    """A rank-study folder keeps its finetunes while it holds the same
    arch; when a rerun search puts another arch at that rank, the old
    arch's finetunes are not taken for the new one's."""
    from transnas_mm.comparison.rank_study import arch_folder
    from transnas_mm.space import arch_key, build_space, sample_arch
    import numpy as np
    space = build_space(stages=[(3, 24, 2)],
                        candidates=['mb_k3e3', 'mb_k5e6', 'skip'],
                        stem_channels=16)
    rng = np.random.default_rng(0)
    a = sample_arch(space, rng)
    b = next(x for x in (sample_arch(space, rng) for _ in range(50))
             if arch_key(x) != arch_key(a))
    rdir = str(tmp_path / 'arch00')
    arch_folder(rdir, a)
    done = osp.join(rdir, 'finetune.done')
    with open(done, 'w') as f:
        f.write('{"seconds": 1}')
    assert arch_key(load_arch(arch_folder(rdir, a))) == arch_key(a)
    assert osp.isfile(done)  # same arch: its finetune is kept
    assert arch_key(load_arch(arch_folder(rdir, b))) == arch_key(b)
    assert not osp.exists(done)  # another arch: done again


def test_target_spec_from_a_config(tmp_path):
    from transnas_mm.comparison.target_spec import TargetSpec
    from conftest import CONFIGS
    spec = TargetSpec.from_config(
        osp.join(CONFIGS, 'transnas/demo/coco_search.py'))
    assert (spec.key, spec.task, spec.metric) == ('own', 'det',
                                                  'coco/bbox_mAP')
    bad = tmp_path / 'no_search.py'
    base = osp.join(CONFIGS, 'transnas/demo/cub_search.py')
    bad.write_text(f'_base_ = [{base!r}]\ncustom_hooks = []\n')
    with pytest.raises(ValueError) as err:
        TargetSpec.from_config(str(bad))
    one_line(err, 'no ArchSearchHook', str(bad))


def test_target_config_is_built_in_process(tmp_path):
    """tools/new_target.py's config generation as a library call: classes
    from the folders, sizes, and a seeded disjoint search/held-out split."""
    import numpy as np
    from PIL import Image
    from transnas_mm.apis.target_config import InputError, build, parse_args
    for s, split in enumerate(('train', 'val')):  # no image in both
        for k, c in enumerate(('ant', 'bee', 'cat')):
            folder = tmp_path / split / c
            folder.mkdir(parents=True)
            for i in range(4):
                Image.fromarray(np.full((20, 20, 3), (40 * i, 10 * k, s),
                                        np.uint8)).save(folder / f'{i}.png')
    args = ['cls', '--train', str(tmp_path / 'train'), '--val',
            str(tmp_path / 'val'), '--image-size', '32', '--out', 'x.py']
    cfg = build(parse_args(args))
    assert cfg.target_classes == ('ant', 'bee', 'cat')
    assert cfg.model.head.num_classes == 3
    assert all(tuple(h['input_shape']) == (3, 32, 32)
               for h in cfg.custom_hooks)
    search = set(cfg.val_dataloader.dataset.indices)
    heldout = set(cfg.test_dataloader.dataset.indices)
    assert not search & heldout and len(search | heldout) == 12
    assert 'cub_classes' not in cfg  # template variables are dropped
    with pytest.raises(InputError) as err:
        build(parse_args(args[:-4] + ['--image-size', '8', '--out', 'x.py']))
    one_line(err, '--image-size', 'expected >= 16')

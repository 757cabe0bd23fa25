"""`make demo`'s pipeline end to end with tiny budgets: every artefact and
every report row exists and parses."""
import collections
import glob
import json
import math
import os.path as osp
import re
import subprocess
import sys

import pytest

from conftest import ROOT

ROWS = ('scratch (hand arch, random init)',
        'finetune (hand arch, source weights, no search)',
        'static (hand arch trained alone on the source, finetuned)',
        'hand arch from the adapted supernet',
        'random arch + plain inheritance', 'NAS + plain inheritance',
        'NAS + NWS')
KEYS = ('scratch', 'finetune', 'static', 'hand', 'random', 'nas_plain',
        'nas_nws')


def check_projected_counts(found: str, key: str) -> None:
    """tools/analysis/search_cost.py's arithmetic on the config the run
    dumped: the adaptation's iterations, each search's candidates and
    evaluated images are what the run recorded."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from transnas_mm.apis.search_cost import dataset_sizes, step_counts
    from transnas_mm.space import space_of_backbone
    from transnas_mm.utils import find_hook, safe_torch_load
    work = osp.dirname(found)
    name = {'coco': 'coco_search.py', 'photos': 'photo_search.py'}[key]
    cfg = Config.fromfile(osp.join(work, name))
    init_default_scope(cfg.default_scope)
    sizes = dataset_sizes(cfg)
    counts = {c.name: c for c in step_counts(
        cfg, sizes, space_of_backbone(cfg.model.backbone))}
    last = open(osp.join(work, 'last_checkpoint')).read().strip()
    iters = safe_torch_load(last)['meta']['iter']
    assert counts['adaptation'].units['train_step'] == iters, key
    for step, log in (('arch search', 'search_log.jsonl'),
                      ('weight search', 'nws_log.jsonl')):
        lines = [json.loads(ln) for ln in open(osp.join(found, log))]
        assert counts[step].candidates == len(lines), (key, step)
        # every scored candidate saw the whole search split (no racing
        # here); the projection adds the noise draws and head start
        assert all(ln['images'] == sizes['val'] for ln in lines
                   if ln['status'] == 'ok'), (key, step)
        assert counts[step].units['eval_image'] >= \
            len(lines) * sizes['val']
    # two ranks: each scores its share of every generation and of the
    # noise draws (racing, on in the weight search, scores together)
    two = {c.name: c for c in step_counts(
        cfg, sizes, space_of_backbone(cfg.model.backbone), gpus=2)}
    per_gen = collections.Counter(
        json.loads(ln)['generation']
        for ln in open(osp.join(found, 'search_log.jsonl')))
    hook = find_hook(cfg, 'ArchSearchHook')
    noise = hook.get('noise_repeats', 2)
    arch = counts['arch search']
    together = arch.proxy_runs - arch.candidates - noise  # head start
    assert two['arch search'].units['calib_batch'] == \
        hook['calibrate_batches'] * (
            sum(math.ceil(n / 2) for n in per_gen.values()) +
            math.ceil(noise / 2) + together), key
    assert two['weight search'].units == counts['weight search'].units | {
        'eval_image': counts['weight search'].units['eval_image'] / 2}
    if key != 'photos':
        return
    # the tool itself: units timed here, beside what the run recorded
    proc = subprocess.run([sys.executable, 'tools/analysis/search_cost.py',
                           osp.join(work, name), '--repeats', '1',
                           '--measured', work, '--json',
                           osp.join(work, 'cost.json')], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '| arch search |' in proc.stdout
    assert 'projected / measured' in proc.stdout
    projected = json.load(open(osp.join(work, 'cost.json')))
    assert [s['step'] for s in projected['steps']] == [
        'adaptation', 'arch search', 'weight search', 'one finetune']
    assert all(s['seconds'] > 0 for s in projected['steps'])
    assert projected['steps'][-1]['per_finetune'] == pytest.approx(1.0)


def test_demo_pipeline_quick(tmp_path):
    out = str(tmp_path / 'demo')
    # detection and the natural-image target (its config inherits the CUB
    # target's recipe; the CUB reader is covered by the smoke runs)
    targets = ['--targets', 'coco', 'photos']
    proc = subprocess.run([sys.executable, 'tools/run_demo.py', '--quick',
                           '--seeded-source', '--out', out, *targets],
                          cwd=ROOT,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'report:' in proc.stdout
    assert len(re.findall(r'best row', proc.stdout)) == 2
    md = open(osp.join(out, 'report.md')).read()
    html = open(osp.join(out, 'report.html')).read()
    outcome, *sections = md.split('\n## ')[1:]
    # the outcome first: best row per target, by how much, the verdict
    assert outcome.startswith('Outcome')
    assert len(re.findall(r'best row .+ over', outcome)) == 2
    assert len(sections) == 2
    for section in sections:
        lines = [ln for ln in section.splitlines() if ln.startswith('| ')]
        assert len(lines) == 1 + len(ROWS)  # header + seven rows
        assert 'target compute (s)' in lines[0]
        # NAS + NWS vs the static row is one of them
        assert re.search(r'^verdict: \d/6 goal comparisons hold', section,
                         re.M)
        assert 'NAS+NWS > static' in section
        for line, row in zip(lines[1:], ROWS):
            cells = [c.strip() for c in line.strip('|').split('|')]
            assert cells[0] == row
            float(cells[1]), float(cells[2])  # FLOPs, params parse
            assert float(cells[3]) > 0  # latency (ms) from the table
            assert cells[4] != 'n/a'
            float(cells[4].split(' ')[0])  # held-out metric
            float(cells[7].split(' ')[0])  # target compute
            # ... over one plain finetune: the finetune row itself is 1x
            ratio = float(cells[8].rstrip('x'))
            assert ratio > 0 and (row != ROWS[1] or ratio == 1.0)
    assert html.count('data:image/png;base64,') == 8
    # results.json: a record per target x row x seed, with its arch file
    # and the parts of its compute; the report renders from it
    from transnas_mm.comparison.report import render_report
    from transnas_mm.comparison.results import load_results
    doc = load_results(osp.join(out, 'results.json'))
    assert len(doc['records']) == 2 * len(ROWS)
    for rec in doc['records']:
        assert osp.isfile(osp.join(out, rec['arch'])), rec
        assert rec['source_s'] == 0.0  # no row trains on the source
        assert rec['target_s'] == pytest.approx(
            rec['adapt_s'] + rec['search_s'] + rec['finetune_s'])
        assert rec['compute_x_source_training'] == pytest.approx(
            rec['target_s'] / json.load(open(osp.join(
                out, 'static.done')))['seconds'])
        assert rec['metric'] is not None and rec['flops'] > 0
    render_report(out, doc)  # in place: the same bytes as the run wrote
    assert open(osp.join(out, 'report.md')).read() == md
    for key in ('coco', 'photos'):
        found = osp.join(out, key, 'search', 'search')
        for name in ('arch.json', 'subnet.pth', 'subnet_model.pth',
                     'weight_sources.json', 'finetune.py', 'arch.png'):
            assert osp.isfile(osp.join(found, name)), (key, name)
        # each search's wall time covers its candidates and more (noise
        # draws, export); the adaptation is recorded apart
        timing = json.load(open(osp.join(found, 'timing.json')))
        assert set(timing) == {'adapt', 'arch', 'weights'}
        assert timing['adapt'] > 0
        for part, log in (('arch', 'search_log.jsonl'),
                          ('weights', 'nws_log.jsonl')):
            cands = sum(json.loads(line)['seconds']
                        for line in open(osp.join(found, log)))
            assert timing[part] > cands > 0, (key, part)
        check_projected_counts(found, key)
        for row in KEYS:
            json.load(open(osp.join(out, key, f'{row}_seed0',
                                    'heldout.json')))
    # a second invocation skips every finished step
    again = subprocess.run([sys.executable, 'tools/run_demo.py', '--quick',
                            '--seeded-source', '--out', out, *targets],
                           cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0
    # rows that started from an earlier row's network took its result
    # (one 'done already' where a row of its own says two)
    shared = glob.glob(osp.join(out, '*', '*_seed0', 'shared.json'))
    for path in shared:
        rdir, twin = osp.dirname(path), json.load(open(path))['twin']
        assert not osp.exists(osp.join(rdir, 'finetune'))  # none ran
        assert json.load(open(osp.join(rdir, 'heldout.json'))) == \
            json.load(open(osp.join(twin, 'heldout.json')))
        digest = [json.load(open(osp.join(d, 'start_digest.json')))['digest']
                  for d in (rdir, twin)]
        assert digest[0] == digest[1]
    # the three sources, then per target: search, 6 rows x (network,
    # finetune, test), NAS + NWS's two starts x (finetune, test, search
    # split test)
    assert again.stdout.count('done already') >= \
        3 + 2 * (1 + 6 * 3 + 2 * 3) - len(shared)
    # the rank study on that run: more archs than the quick search scored,
    # so it tops them up from the space; two finetune seeds each
    logged = {json.dumps(json.loads(line)['layers'], sort_keys=True)
              for line in open(osp.join(out, 'photos', 'search', 'search',
                                        'search_log.jsonl'))}
    study_cmd = [sys.executable, 'tools/analysis/rank_study.py', '--target',
                 'photos', '--out', out, '--archs', str(len(logged) + 2),
                 '--seeds', '2', '--proxy-iters', '2', '--proxy-schedules',
                 'constant', 'cosine', '--quick']
    proc = subprocess.run(study_cmd, cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    study = json.load(open(osp.join(out, 'photos', 'rank_study.json')))
    assert study['archs'] == len(logged) + 2 and study['seeds'] == 2
    points = study['points']
    assert study['logged'] == sum(p['logged'] for p in points) >= 2
    assert study['logged'] < study['archs']
    assert all((p['fitness'] is None) != p['logged'] for p in points)
    assert all(len(p['heldout_seeds']) == 2 for p in points)
    assert study['taus']['fitness']['points'] == study['logged']
    assert study['taus']['flops']['points'] == study['archs']
    assert {'proxy_2', 'proxy_2_cosine', 'proxy_2_cosine_loss', 'inherited',
            'source', 'params'} <= set(study['taus'])
    assert {'seed_agreement', 'tau_ceiling'} <= set(study)
    assert osp.isfile(osp.join(out, 'photos', 'rank_study.png'))
    assert f'({study["logged"]} scored by the search) x 2 seeds' in \
        proc.stdout
    # NAS + NWS: both starts finetuned, the better on the search split kept
    import torch
    for key in ('coco', 'photos'):
        rdir = osp.join(out, key, 'nas_nws_seed0')
        choice = json.load(open(osp.join(rdir, 'heads.json')))
        split = choice['search_split']
        assert set(split) == {'adapted', 'fresh'}
        for heads in split:  # tools/test.py --split val wrote each
            assert json.load(open(osp.join(
                rdir, f'{heads}_heads', 'search_split.json')))[
                    'coco/bbox_mAP' if key == 'coco' else 'accuracy/top1'
                ] == split[heads]
        assert choice['picked'] == ('fresh' if split['fresh'] >
                                    split['adapted'] else 'adapted')
        assert json.load(open(osp.join(rdir, 'heldout.json'))) == \
            json.load(open(osp.join(rdir, f'{choice["picked"]}_heads',
                                    'heldout.json')))
        # the fresh start carries the searched backbone and nothing else
        fresh = torch.load(osp.join(rdir, 'fresh_heads_start.pth'),
                           weights_only=True)['state_dict']
        full = torch.load(osp.join(out, key, 'search', 'search',
                                   'subnet_model.pth'),
                          weights_only=True)['state_dict']
        assert fresh.keys() == {k for k in full if k.startswith('backbone.')}
        assert len(full) > len(fresh)
        assert f'seed 0 kept {choice["picked"]} (adapted / fresh: ' \
            f'search split' in md
        # the user pays both finetunes
        secs = sum(json.load(open(osp.join(rdir, f'{h}_heads',
                                           'finetune.done')))['seconds']
                   for h in ('adapted', 'fresh'))
        assert abs(choice['finetune_s'] - secs) < 1e-6
    # the super-network seeded from the static one: its source accuracy
    # and compute beside the from-scratch one's
    assert re.search(r'super-network seeded from the static network .*'
                     r'reference \d+\.\d, largest \d+\.\d, smallest .* vs '
                     r'from scratch reference', md)
    # the two new rows: scratch loads nothing, finetune the source backbone
    for key in ('coco', 'photos'):
        scratch = open(osp.join(out, key, 'scratch_seed0',
                                'finetune.log')).read()
        assert 'Load checkpoint from' not in scratch
        net = json.load(open(osp.join(out, key, 'finetune_seed0', 'net',
                                      'cost.json')))
        assert net['kind'] == 'hand'
        state = torch.load(osp.join(out, key, 'finetune_seed0', 'net',
                                    'subnet_model.pth'),
                           weights_only=True)['state_dict']
        assert state and all(k.startswith('backbone.') for k in state)
        # the static row: the hand chain trained alone, another network
        static = torch.load(osp.join(out, key, 'static_seed0', 'net',
                                     'subnet_model.pth'),
                            weights_only=True)['state_dict']
        assert static.keys() == state.keys()
        assert any(not torch.equal(static[k], state[k]) for k in state
                   if state[k].is_floating_point())
    # a search variant of this run: the weight search again with another
    # proxy, everything else reused from it; with the extra row
    variant = str(tmp_path / 'variant')
    proc = subprocess.run([sys.executable, 'tools/run_demo.py', '--quick',
                           '--out', variant, '--targets', 'photos',
                           '--reuse', out, '--rerun', 'weights',
                           '--search-options',
                           'custom_hooks.WeightSearchHook.proxy.iters=1',
                           '--extra-rows', 'nas_source', 'nas_retrain'],
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    was, now = (osp.join(d, 'photos', 'search', 'search')
                for d in (out, variant))
    for name in ('arch.json', 'search_log.jsonl', 'search_state.json'):
        with open(osp.join(was, name), 'rb') as a, \
                open(osp.join(now, name), 'rb') as b:
            assert a.read() == b.read(), name  # the arch search kept
    assert [json.load(open(osp.join(d, 'nws_state.json')))['extra'][
        'proxy_iters'] for d in (was, now)] == [2, 1]  # the NWS rerun
    t_was, t_now = (json.load(open(osp.join(d, 'timing.json')))
                    for d in (was, now))
    assert (t_now['adapt'], t_now['arch']) == (t_was['adapt'],
                                               t_was['arch'])
    assert t_now['weights'] > sum(json.loads(line)['seconds'] for line in
                                  open(osp.join(now, 'nws_log.jsonl'))) > 0
    s_was, s_now = (json.load(open(osp.join(d, 'photos', 'search.done')))[
        'seconds'] for d in (out, variant))
    assert abs(s_now - (s_was - t_was['weights'] + t_now['weights'])) < 1e-6
    ran = [ln for ln in proc.stdout.splitlines() if 'tools/' in ln]
    for row in KEYS:
        held = [json.load(open(osp.join(d, 'photos', f'{row}_seed0',
                                        'heldout.json')))
                for d in (out, variant)]
        if row.startswith('nas_'):  # not copied: finetuned again
            assert any(f'photos/{row}' in ln for ln in ran), row
        else:  # copied, no step of theirs run again
            assert held[0] == held[1]
            assert not any(f'photos/{row}:' in ln for ln in ran), row
    report = open(osp.join(variant, 'report.md')).read()
    assert 'search variant: custom_hooks.WeightSearchHook.proxy.iters=1; ' \
        'reused from' in report
    # the extra row: the searched arch from the source super-network's
    # backbone, after the seven; it pays the adaptation and the arch search
    lines = [ln for ln in report.split('\n## ')[2].splitlines()
             if ln.startswith('| ')]
    cells = {c[0]: c for c in ([x.strip() for x in ln.strip('|').split('|')]
                               for ln in lines[1:])}
    retrain_title = 'NAS arch retrained on the source (DetNAS-style)'
    assert list(cells) == \
        list(ROWS) + ['NAS arch, source weights (no adaptation)',
                      retrain_title]
    extra = cells['NAS arch, source weights (no adaptation)']
    plain = cells['NAS + plain inheritance']
    assert extra[1:3] == plain[1:3]  # same arch: FLOPs, params
    search_s, finetune_s, target_s = (float(extra[i].split(' ')[0])
                                      for i in (5, 6, 7))
    assert search_s == float(plain[5].split(' ')[0]) > 0
    # + the adaptation: the search step's time less its two searches (the
    # table rounds each cell to a second; the quick adaptation takes about
    # that, so that the row pays it at all is held by the unit test of
    # Row.adapted in test_search_variant.py)
    adapt_s = s_now - t_now['arch'] - t_now['weights']
    assert adapt_s > 0
    assert abs(target_s - search_s - finetune_s - adapt_s) <= 1.5
    rdir = osp.join(variant, 'photos', 'nas_source_seed0')
    assert json.load(open(osp.join(rdir, 'net', 'arch.json'))) == \
        json.load(open(osp.join(now, 'arch.json')))
    state = torch.load(osp.join(rdir, 'net', 'subnet_model.pth'),
                       weights_only=True)['state_dict']
    assert state and all(k.startswith('backbone.') for k in state)
    json.load(open(osp.join(rdir, 'heldout.json')))
    # the DetNAS-style row: the searched arch trained alone on the source
    # (the static network's recipe), its backbone finetuned; its compute
    # adds that source training
    retrain = cells[retrain_title]
    assert retrain[1:3] == plain[1:3]
    rdir = osp.join(variant, 'photos', 'nas_retrain_seed0')
    source_s = json.load(open(osp.join(rdir, 'source.done')))['seconds']
    static_s = json.load(open(osp.join(variant, 'static.done')))['seconds']
    search_s, finetune_s, target_s = (float(retrain[i].split(' ')[0])
                                      for i in (5, 6, 7))
    assert abs(target_s - search_s - finetune_s - adapt_s - source_s) <= 2
    assert float(retrain[9].rstrip('x')) > 0
    from transnas_mm.comparison.results import load_results
    rec = next(r for r in load_results(osp.join(variant, 'results.json'))[
        'records'] if r['row'] == 'nas_retrain')
    assert rec['source_s'] == source_s
    assert rec['target_s'] == pytest.approx(
        rec['adapt_s'] + rec['search_s'] + source_s + rec['finetune_s'])
    assert rec['compute_x_source_training'] == pytest.approx(
        rec['target_s'] / static_s)
    retrained = torch.load(osp.join(rdir, 'source_backbone.pth'),
                           weights_only=True)['state_dict']
    source_start = torch.load(osp.join(variant, 'photos', 'nas_source_seed0',
                                       'net', 'subnet_model.pth'),
                              weights_only=True)['state_dict']
    assert retrained.keys() == source_start.keys()
    assert any(not torch.equal(retrained[k], source_start[k])
               for k in retrained if retrained[k].is_floating_point())
    assert 'NAS+NWS >= DetNAS-style' in report
    assert 'NAS+NWS compute < 0.75x DetNAS-style' in report
    # a setting that would change another row is refused before any step
    refused = str(tmp_path / 'refused')
    proc = subprocess.run([sys.executable, 'tools/run_demo.py', '--quick',
                           '--out', refused, '--targets', 'photos',
                           '--reuse', out, '--search-options',
                           'custom_hooks.ArchSearchHook.constraints.flops='
                           '(0,4e6)'],
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "constraints.flops: not a search setting: the random row " \
        "draws under the config's constraints" in proc.stderr
    assert not osp.exists(refused)


"""NWS: weight sources and remapping, WeightSearchHook through the real
Runner (classifier and detector), subnet reproduction, export, ONNX."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import DEMO_SPACE, ROOT, demo_cfg
from transnas_mm import SparseSuperNet, TransNASNet
from transnas_mm.search import evaluate
from transnas_mm.search.weights.sources import (layer_sources, remap_block,
                                                source_state)
from transnas_mm.space import load_arch, make_arch
from transnas_mm.space.remap import hidden_order
from transnas_mm.utils import safe_torch_load

DEMO = DEMO_SPACE
ARCH_HOOK = dict(type='transnas_mm.ArchSearchHook',
                 metric_key='accuracy/top1',
                 search=dict(population=4, generations=2, top_k=2,
                             num_mutation=2, num_crossover=2),
                 input_shape=(3, 48, 48), calibrate_batches=2,
                 fitness='inherited', proxy=None)
NWS_HOOK = dict(type='transnas_mm.WeightSearchHook',
                metric_key='accuracy/top1', mode='greedy',
                input_shape=(3, 48, 48), calibrate_batches=2, proxy=None)
SMALL_CUB = {
    'train_dataloader.dataset.indices': 64,
    'train_dataloader.batch_size': 16,
    'val_dataloader.dataset.indices': 48,
    'test_dataloader.dataset.indices': list(range(200, 248)),
    'train_cfg.max_epochs': 2,
    'train_cfg.val_interval': 10,
    'param_scheduler': [],
    'default_hooks.checkpoint.interval': 1,
}


def test_sources_put_plain_inheritance_first():
    net = SparseSuperNet(**DEMO)
    arch = make_arch(net.space, ['mb_k3e6'] * 4 + ['skip'] + ['mb_k5e3'] * 5,
                     [[] for _ in range(10)])
    srcs = layer_sources(net.space, arch, 3)
    assert srcs[0] == dict(kind='inherit', layer=3, op='mb_k3e6')
    kinds = {s['kind'] for s in srcs}
    assert kinds == {'inherit', 'layer', 'op', 'fresh'}
    # same op, same stage, same shapes: layers 3 and 4 (not 2: 24->32 s2)
    assert [s['layer'] for s in srcs if s['kind'] == 'layer'] == [4]
    assert layer_sources(net.space, arch, 4) == \
        [dict(kind='inherit', layer=4, op='skip')]


def test_source_weights_are_a_candidate_of_every_layer(source_ckpt):
    """search.source=True: each weighted layer can take the source
    checkpoint's weights (before adaptation), and the whole source network
    is a candidate of the first generation, within the population."""
    from transnas_mm.search.weights.search import (WeightSearch,
                                                   WeightSearchConfig)
    from transnas_mm.search.weights.sources import WeightAssigner
    init = dict(type='Pretrained', checkpoint=source_ckpt)
    with pytest.raises(ValueError, match=r"a whole model's checkpoint .* "
                       r"prefix='backbone.'"):
        SparseSuperNet(**DEMO, init_cfg=init).init_weights()
    net = SparseSuperNet(**DEMO, init_cfg=dict(init, prefix='backbone.'))
    net.init_weights()
    arch = make_arch(net.space, ['mb_k3e6'] * 4 + ['skip'] + ['mb_k5e3'] * 5,
                     [[] for _ in range(10)])
    net.set_arch(arch)
    srcs = layer_sources(net.space, arch, 3, source=True)
    assert srcs[:2] == [dict(kind='inherit', layer=3, op='mb_k3e6'),
                        dict(kind='source', layer=3, op='mb_k3e6')]
    assert layer_sources(net.space, arch, 4, source=True) == \
        [dict(kind='inherit', layer=4, op='skip')]
    before = {k: v.clone() for k, v in net.layers[3]['mb_k3e6'].state_dict(
        ).items()}
    with torch.no_grad():  # what an adaptation does: the weights move
        for p in net.parameters():
            p.add_(0.1)
    search = WeightSearch(net.space, arch, WeightSearchConfig(
        mode='evolution', population=4, source=True))
    first = search.propose()
    assert len(first) == 4
    assert first[0] == search.plain and first[1] == search.whole_source
    assert {s['kind'] for s in first[1]} == {'source', 'inherit'}
    assigner = WeightAssigner(net, arch, source=True)
    assigner.apply(search.whole_source)
    for k, v in net.layers[3]['mb_k3e6'].state_dict().items():
        assert torch.equal(v, before[k]), k
    assigner.apply(search.plain)  # the adapted weights back
    assert not torch.equal(net.layers[3]['mb_k3e6'].state_dict()[
        'conv.0.conv.weight'], before['conv.0.conv.weight'])
    # without a source checkpoint to read: one line saying what is needed
    with pytest.raises(ValueError, match=r"search.source=True: the "
                       r"backbone's init_cfg"):
        WeightAssigner(SparseSuperNet(**DEMO), arch, source=True)


def test_remap_centre_crops_kernels_and_slices_channels():
    net = SparseSuperNet(**DEMO)
    src, dst = net.layers[3]['mb_k5e6'], net.layers[3]['mb_k3e3']
    state = remap_block(src, dst)
    s_dw = src.conv[1].conv.weight.detach()  # (192, 1, 5, 5)
    assert torch.equal(state['conv.1.conv.weight'], s_dw[:96, :, 1:4, 1:4])
    assert torch.equal(state['conv.0.conv.weight'],
                       src.conv[0].conv.weight.detach()[:96])
    assert torch.equal(state['conv.2.conv.weight'],
                       src.conv[2].conv.weight.detach()[:, :96])
    # growing: kernel zero-padded around the centre, BN padded with dst's
    up = remap_block(dst, src)
    assert torch.equal(up['conv.1.conv.weight'][:96, :, 1:4, 1:4],
                       dst.conv[1].conv.weight.detach())
    assert up['conv.1.conv.weight'][:, :, 0].abs().sum() == 0
    assert torch.equal(up['conv.1.bn.running_var'][96:],
                       src.conv[1].bn.running_var[96:])
    # by importance: the narrower op keeps the hidden channels the project
    # conv reads most (largest L1), each with its expand, dw and BN values
    with torch.no_grad():
        src.conv[2].conv.weight.mul_(0.01)
        src.conv[2].conv.weight[:, 1::2] *= 1000.0  # odd channels matter
        src.conv[1].bn.running_mean.copy_(torch.arange(192.0))
    keep = hidden_order(src)[:96]
    assert set(keep.tolist()) == set(range(1, 192, 2))
    imp = remap_block(src, dst, by_importance=True)
    assert torch.equal(imp['conv.0.conv.weight'],
                       src.conv[0].conv.weight.detach()[keep])
    assert torch.equal(imp['conv.1.conv.weight'],
                       src.conv[1].conv.weight.detach()[keep, :, 1:4, 1:4])
    assert torch.equal(imp['conv.1.bn.running_mean'], keep.float())
    assert torch.equal(imp['conv.2.conv.weight'],
                       src.conv[2].conv.weight.detach()[:, keep])
    assert torch.equal(imp['conv.2.bn.weight'], src.conv[2].bn.weight)
    # the same op is unchanged: a permutation of its own channels
    same = remap_block(src, net.layers[3]['mb_k3e6'], by_importance=True)
    assert torch.equal(same['conv.0.conv.weight'],
                       src.conv[0].conv.weight.detach())
    originals = {f'{i}.{op}': m.state_dict() for i, ly in
                 enumerate(net.layers) for op, m in ly.items()}
    a = source_state(net, 3, 'mb_k3e3', dict(kind='fresh', layer=3,
                                             op='mb_k3e3'), originals)
    b = source_state(net, 3, 'mb_k3e3', dict(kind='fresh', layer=3,
                                             op='mb_k3e3'), originals)
    assert torch.equal(a['conv.0.conv.weight'], b['conv.0.conv.weight'])
    assert not torch.equal(a['conv.0.conv.weight'],
                           originals['3.mb_k3e3']['conv.0.conv.weight'])


@pytest.fixture(scope='module')
def cub_run(demo_root, source_ckpt, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('nws_cub'))
    # the search's scalars go to TensorBoard as well (see the test below)
    cfg = demo_cfg('transnas/demo/cub_search.py', demo_root, work,
                   source_ckpt, {**SMALL_CUB,
                                 'custom_hooks': [ARCH_HOOK, NWS_HOOK],
                                 'visualizer': dict(
                                     type='UniversalVisualizer',
                                     vis_backends=[
                                         dict(type='LocalVisBackend'),
                                         dict(type='TensorboardVisBackend')])})
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner, osp.join(work, 'search')


def test_tensorboard_shows_both_searches_per_generation(cub_run):
    """MMEngine's TensorboardVisBackend receives each search's scalars,
    one point per generation (arch search: 2 generations; weight search:
    one per greedy step)."""
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    runner, out = cub_run
    events = [osp.join(d, f) for d, _, files in os.walk(runner.log_dir)
              for f in files if f.startswith('events.out.tfevents')]
    assert events, runner.log_dir
    tags = {}
    for path in events:
        acc = EventAccumulator(path)
        acc.Reload()
        for tag in acc.Tags()['scalars']:
            tags.setdefault(tag, []).extend(
                e.step for e in acc.Scalars(tag))
    assert sorted(tags['search/best_score']) == [1, 2]
    assert sorted(tags['search/generation_median']) == [1, 2]
    steps = [json.loads(line) for line in open(osp.join(out,
                                                         'nws_log.jsonl'))]
    generations = max(r['generation'] for r in steps) + 1
    assert sorted(tags['nws/best_score']) == list(range(1, generations + 1))


def test_hook_writes_outputs_and_never_loses_to_plain(cub_run):
    _, out = cub_run
    for name in ('subnet.pth', 'subnet_model.pth', 'weight_sources.json',
                 'finetune.py', 'weight_sources.png', 'nws_log.jsonl',
                 'nws_state.json'):
        assert osp.getsize(osp.join(out, name)) > 0, name
    ws = json.load(open(osp.join(out, 'weight_sources.json')))
    assert ws['search_split']['nws'] >= ws['search_split']['plain']
    assert set(ws['heldout']) == {'plain', 'nws'}
    log = [json.loads(line) for line in open(osp.join(out,
                                                      'nws_log.jsonl'))]
    assert all(s['kind'] == 'inherit' for s in log[0]['sources'])
    assert log[0]['score'] == ws['search_split']['plain']
    top = max(r['score'] for r in log)
    assert ws['search_split']['best_found'] == top
    assert ws['margin'] == pytest.approx(2.0 * ws['noise'])
    # a change is kept only if it beats plain by more than the margin
    if top - ws['search_split']['plain'] > ws['margin']:
        assert ws['search_split']['nws'] == top and not ws['kept_plain']
    else:
        assert ws['search_split']['nws'] == ws['search_split']['plain']
        assert ws['kept_plain']
        assert not any(r['changed'] for r in ws['layers'])
    assert len(ws['layers']) == 10
    assert {r['kind'] for r in log[-1]['sources']} <= {'inherit', 'layer',
                                                       'op', 'fresh'}


def test_subnet_reproduces_the_logged_score(cub_run, demo_root):
    runner, out = cub_run
    ws = json.load(open(osp.join(out, 'weight_sources.json')))
    cfg = Config.fromfile(osp.join(out, 'finetune.py'))
    assert cfg.model.backbone.type == 'transnas_mm.TransNASNet'
    assert not cfg.custom_hooks
    cfg.work_dir = osp.join(out, 'ft')
    cfg.val_dataloader.dataset.indices = 48
    cfg.val_dataloader.dataset.data_root = \
        runner.cfg.val_dataloader.dataset.data_root
    ft = Runner.from_cfg(cfg)
    ft.load_checkpoint(cfg.load_from)
    metrics = evaluate(ft.model, ft.val_loop.dataloader,
                       ft.val_loop.evaluator)
    assert metrics['accuracy/top1'] == ws['search_split']['nws']
    # subnet.pth is the backbone alone, loadable through init_cfg
    arch = load_arch(cfg.model.backbone.arch)
    net = TransNASNet(arch, out_indices=(3, ), init_cfg=dict(
        type='Pretrained', checkpoint=osp.join(out, 'subnet.pth')))
    net.init_weights()
    ref = ft.model.backbone.state_dict()
    for k, v in net.state_dict().items():
        assert torch.equal(v, ref[k]), k


def test_weight_search_alone_resumes_from_its_state(cub_run, demo_root,
                                                    source_ckpt, tmp_path):
    _, out = cub_run
    hook = dict(NWS_HOOK, arch=osp.join(out, 'arch.json'))
    for _ in range(2):  # the second run finds the finished state
        cfg = demo_cfg('transnas/demo/cub_search.py', demo_root,
                       str(tmp_path), source_ckpt,
                       {**SMALL_CUB, 'train_cfg.max_epochs': 0,
                        'custom_hooks': [hook]})
        runner = Runner.from_cfg(cfg)
        runner.train()
        [nws] = [h for h in runner.hooks
                 if type(h).__name__ == 'WeightSearchHook']
        assert nws.result['best']['score'] >= nws.result['plain']['score']
    log = open(osp.join(str(tmp_path), 'search', 'nws_log.jsonl')).read()
    assert len(log.splitlines()) == json.load(open(osp.join(
        str(tmp_path), 'search', 'weight_sources.json')))['evaluated']


def test_source_weights_through_the_runner(cub_run, demo_root, source_ckpt,
                                           tmp_path):
    """WeightSearchHook(search=dict(source=True)) after an adaptation: the
    whole source network is scored beside plain inheritance, and the
    exported weights are the chosen candidate's."""
    _, out = cub_run
    hook = dict(NWS_HOOK, arch=osp.join(out, 'arch.json'), mode='evolution',
                search=dict(population=2, generations=1, source=True))
    cfg = demo_cfg('transnas/demo/cub_search.py', demo_root, str(tmp_path),
                   source_ckpt, {**SMALL_CUB, 'train_cfg.max_epochs': 1,
                                 'custom_hooks': [hook]})
    Runner.from_cfg(cfg).train()
    found = osp.join(str(tmp_path), 'search')
    log = [json.loads(line) for line in open(osp.join(found,
                                                      'nws_log.jsonl'))]
    kinds = [{s['kind'] for s in r['sources']} for r in log]
    assert kinds[0] == {'inherit'} and 'source' in kinds[1], kinds
    ws = json.load(open(osp.join(found, 'weight_sources.json')))
    # two candidates: plain kept, or the whole source network chosen
    chosen = [{'kind': r['kind'], 'layer': r['source_layer'],
               'op': r['source_op']} for r in ws['layers']]
    assert chosen == log[0 if ws['kept_plain'] else 1]['sources']


@pytest.mark.parametrize('config,detector,score_thr', [
    ('coco_search.py', 'RetinaNet', 'model.test_cfg.score_thr'),
    ('faster_rcnn_search.py', 'FasterRCNN', 'model.test_cfg.rcnn.score_thr'),
])
def test_detector_gets_a_subnet_too(demo_root, source_ckpt, tmp_path,
                                    config, detector, score_thr):
    hooks = [dict(ARCH_HOOK, metric_key='coco/bbox_mAP',
                  input_shape=(3, 128, 128)),
             dict(NWS_HOOK, metric_key='coco/bbox_mAP', mode='evolution',
                  search=dict(population=3, generations=2),
                  input_shape=(3, 128, 128))]
    cfg = demo_cfg(f'transnas/demo/{config}', demo_root, str(tmp_path),
                   source_ckpt, {
                       'train_dataloader.dataset.indices': 16,
                       'train_dataloader.batch_size': 8,
                       'val_dataloader.dataset.indices': 8,
                       'test_dataloader.dataset.indices': 8,
                       'train_cfg.max_epochs': 1,
                       'train_cfg.val_interval': 10,
                       'param_scheduler': [],
                       score_thr: 0.0,
                       'custom_hooks': hooks,
                   })
    Runner.from_cfg(cfg).train()
    out = osp.join(str(tmp_path), 'search')
    ws = json.load(open(osp.join(out, 'weight_sources.json')))
    assert ws['search_split']['nws'] >= ws['search_split']['plain']
    # PreciseCocoMetric: fitness values are not rounded to 3 decimals
    log = [json.loads(line) for line in open(osp.join(out,
                                                      'search_log.jsonl'))]
    assert 'PreciseCocoMetric' in cfg.val_evaluator.type
    if detector == 'RetinaNet':  # one epoch of Faster R-CNN may find no box
        # (every score 0.0 on some machines), where rounding cannot show
        assert any(r['score'] != round(r['score'], 3) for r in log)
    ft = Config.fromfile(osp.join(out, 'finetune.py'))
    assert ft.model.type == detector
    assert ft.model.neck.in_channels == [24, 32, 64, 96]
    assert ft.val_cfg == dict(type='ValLoop')


def test_export_tool_and_onnx(cub_run, source_ckpt, tmp_path):
    _, out = cub_run
    target = str(tmp_path / 'plain.pth')
    subprocess.run([sys.executable, osp.join(ROOT, 'tools',
                                             'export_subnet.py'),
                    source_ckpt, osp.join(out, 'arch.json'), target],
                   check=True, cwd=ROOT, capture_output=True)
    state = safe_torch_load(target)['state_dict']
    arch = load_arch(osp.join(out, 'arch.json'))
    op = arch['layers'][0]['op']
    src = safe_torch_load(source_ckpt)['state_dict']
    assert torch.equal(state['layers.0.conv.0.conv.weight'],
                       src[f'backbone.layers.0.{op}.conv.0.conv.weight'])
    sys.path.insert(0, osp.join(ROOT, 'tools', 'deploy'))
    from export_onnx import build_backbone, build_classifier, export
    net = build_backbone(osp.join(out, 'arch.json'),
                         osp.join(out, 'subnet.pth'), [0, 3])
    assert export(net, (1, 3, 48, 48), str(tmp_path / 'b.onnx')) < 1e-4
    clf = build_classifier(osp.join(out, 'finetune.py'),
                           osp.join(out, 'subnet_model.pth'))
    assert export(clf, (2, 3, 48, 48), str(tmp_path / 'c.onnx')) < 1e-4
    import onnx
    graph = onnx.load(str(tmp_path / 'c.onnx')).graph
    logits = graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in logits] == [2, 5]  # batch x classes
